#include "core/paths.h"

#include <cstdlib>

#include "core/error.h"

namespace hearth {

std::filesystem::path hearth_home() {
  if (const char* h = std::getenv("HEARTH_HOME"); h && *h) return h;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::filesystem::path(x) / "hearth";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".local" / "share" / "hearth";
  fail(Errc::not_found, "cannot find a data folder: set HEARTH_HOME");
}

std::filesystem::path hearth_dir(const std::string& sub) {
  auto p = hearth_home() / sub;
  std::error_code ec;
  std::filesystem::create_directories(p, ec);
  if (ec) fail(Errc::io, "cannot create " + p.string() + ": " + ec.message());
  return p;
}

}  // namespace hearth
