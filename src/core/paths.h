// Where user state lives: $HEARTH_HOME, else $XDG_DATA_HOME/hearth, else ~/.local/share/hearth.
// Models, memory, the ledger, eval runs and config all go below it; tests point HEARTH_HOME at a
// temporary folder.
#pragma once
#include <filesystem>

namespace hearth {

std::filesystem::path hearth_home();
// hearth_home()/sub, created (with parents) if missing.
std::filesystem::path hearth_dir(const std::string& sub);

}  // namespace hearth
