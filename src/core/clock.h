// Wall-clock time as text, in UTC.
#pragma once
#include <ctime>
#include <string>

namespace hearth {

// `t` formatted by strftime in UTC; the default is ISO 8601 ("2026-12-05T13:04:54Z").
std::string utc_time_text(std::time_t t, const char* format = "%Y-%m-%dT%H:%M:%SZ");

// Now, the same way.
inline std::string utc_now_text(const char* format = "%Y-%m-%dT%H:%M:%SZ") {
  return utc_time_text(std::time(nullptr), format);
}

}  // namespace hearth
