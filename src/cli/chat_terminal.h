// The terminal side shared by `hearth chat` and a pack's terminal chat: reading the user's lines
// and Ctrl-C during a reply.
#pragma once
#include <signal.h>

#include <atomic>
#include <string>

namespace hearth::cli {

enum class ChatInput { message, reset, exit };

// Reads the next non-empty line into `line`, showing "> " first on a terminal. "/exit", "/quit"
// and end of input give exit; "/reset" gives reset.
ChatInput read_chat_input(bool interactive, std::string& line);

// Ctrl-C while a reply streams stops that reply and keeps the chat; at the input prompt (no
// guard alive) it keeps its usual meaning.

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
