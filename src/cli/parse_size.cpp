#include "cli/parse_size.h"

#include <exception>

#include "core/error.h"

namespace hearth::cli {

uint64_t parse_size(const std::string& text, const char* flag) {
  size_t used = 0;
  double n = 0;
  try {
    n = std::stod(text, &used);
  } catch (const std::exception&) {
    fail(Errc::invalid_argument, std::string(flag) + ": '" + text + "' is not a size (e.g. 8G, 512M)");
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  double mult = 1;
  if (unit == "K" || unit == "k") mult = 1024.0;
  else if (unit == "M" || unit == "m") mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty()) fail(Errc::invalid_argument, std::string(flag) + ": unknown unit in '" + text + "'");
  if (n <= 0) fail(Errc::invalid_argument, std::string(flag) + ": must be positive");
  return static_cast<uint64_t>(n * mult);
}

}  // namespace hearth::cli
