#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace hearth::log {
namespace {

Level level_from_env() {
  const char* v = std::getenv("HEARTH_LOG");
  if (!v) return Level::warn;
  if (!std::strcmp(v, "error")) return Level::error;
  if (!std::strcmp(v, "info")) return Level::info;
  if (!std::strcmp(v, "debug")) return Level::debug;
  return Level::warn;
}

std::atomic<int>& current() {
  static std::atomic<int> lvl{static_cast<int>(level_from_env())};
  return lvl;
}

const char* tag(Level l) {
  switch (l) {
    case Level::error: return "error";
    case Level::warn: return "warn";
    case Level::info: return "info";
    case Level::debug: return "debug";
  }
  return "?";
}

}  // namespace

Level level() { return static_cast<Level>(current().load()); }
void set_level(Level l) { current().store(static_cast<int>(l)); }

void write(Level l, const std::string& message) {
  if (static_cast<int>(l) > current().load()) return;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "hearth [%s] %s\n", tag(l), message.c_str());
}

}  // namespace hearth::log
