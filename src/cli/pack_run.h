// What a packed executable (hearth pack) does when started: serve its embedded model, chat with
// it in the terminal, or answer --info / --verify / --extract.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace hearth::cli {

// nullopt when the running program carries no pack (or a hearth command was named): main then
// dispatches as usual. Otherwise the exit status of what the pack did.
std::optional<int> run_if_packed(const char* argv0, const std::vector<std::string>& args);

// Runs `hearth ARGS...` in this process (args[0] is the command name). With later_flags_win a
// single-valued flag given twice takes its last value, so defaults can be placed before user
// flags. Defined in main.cpp.
int dispatch(const std::vector<std::string>& args, bool later_flags_win);
bool is_command(const std::string& name);

// Terminal chat against a running hearth server at `url` (OpenAI chat completions, streamed).
// Returns when input ends or the user types /exit.
int terminal_chat(const std::string& url, const std::string& api_key, const std::string& system);

}  // namespace hearth::cli
