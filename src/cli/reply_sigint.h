// Ctrl-C while a reply streams stops that reply and keeps the chat; at the input prompt (no
// guard alive) it keeps its usual meaning. Shared by `hearth chat` and a pack's terminal chat.
#pragma once
#include <signal.h>

#include <atomic>

namespace hearth::cli {

class ReplySigint {
 public:
  // restart_syscalls: SA_RESTART, so reads interrupted by the signal resume instead of failing.
  explicit ReplySigint(bool restart_syscalls = true);
  ~ReplySigint();
  ReplySigint(const ReplySigint&) = delete;
  ReplySigint& operator=(const ReplySigint&) = delete;

  // Set once Ctrl-C arrived while this guard was alive.
  static const std::atomic<bool>& fired();

 private:
  struct sigaction old_ {};
};

}  // namespace hearth::cli
