#include "cli/reply_sigint.h"

namespace hearth::cli {
namespace {

std::atomic<bool> g_fired{false};
extern "C" void on_reply_sigint(int) { g_fired.store(true); }

}  // namespace

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
