#include "cli/chat_terminal.h"

#include <cstdio>
#include <iostream>

namespace hearth::cli {
namespace {

std::atomic<bool> g_fired{false};
extern "C" void on_reply_sigint(int) { g_fired.store(true); }

}  // namespace

ChatInput read_chat_input(bool interactive, std::string& line) {
  while (true) {
    if (interactive) {
      std::printf("> ");
      std::fflush(stdout);
    }
    if (!std::getline(std::cin, line) || line == "/exit" || line == "/quit") return ChatInput::exit;
    if (line == "/reset") return ChatInput::reset;
    if (!line.empty()) return ChatInput::message;
  }
}

ReplySigint::ReplySigint(bool restart_syscalls) {
  g_fired.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_reply_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = restart_syscalls ? SA_RESTART : 0;
  sigaction(SIGINT, &sa, &old_);
}

ReplySigint::~ReplySigint() { sigaction(SIGINT, &old_, nullptr); }

const std::atomic<bool>& ReplySigint::fired() { return g_fired; }

}  // namespace hearth::cli
