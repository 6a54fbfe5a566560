// Minimal leveled logging to stderr. The level comes from HEARTH_LOG (error|warn|info|debug),
// default warn, so commands stay quiet unless something needs attention.
#pragma once
#include <string>

namespace hearth::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

Level level();
void set_level(Level level);
void write(Level level, const std::string& message);

inline void error(const std::string& m) { write(Level::error, m); }
inline void warn(const std::string& m) { write(Level::warn, m); }
inline void info(const std::string& m) { write(Level::info, m); }
inline void debug(const std::string& m) { write(Level::debug, m); }

}  // namespace hearth::log
