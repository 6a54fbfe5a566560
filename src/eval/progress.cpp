#include "eval/progress.h"

#include <unistd.h>

#include <cstdio>

namespace hearth::eval {

Progress::Progress(std::string label, int64_t total, bool enabled, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), enabled_(enabled && total > 0), tty_(isatty(2) != 0) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void Progress::tick(int64_t n) {
  std::lock_guard lk(mu_);
  done_ += n;
  draw(false);
}

void Progress::set(int64_t done) {
  std::lock_guard lk(mu_);
  done_ = done;
  draw(false);
}

void Progress::finish() {
  std::lock_guard lk(mu_);
  if (enabled_ && done_ > 0) draw(true);
  enabled_ = false;
}

void Progress::draw(bool final) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  double el = std::chrono::duration<double>(now - start_).count();
  int decile = static_cast<int>(done_ * 10 / total_);
  if (tty_) {
    if (!final && std::chrono::duration<double>(now - last_draw_).count() < 0.1 && done_ < total_) return;
  } else if (decile == last_decile_) {
    return;  // a log gets one line per tenth, the last one once
  }
  last_draw_ = now;
  last_decile_ = decile;
  double rate = el > 0.05 ? done_ / el : 0;  // no rate from the first instant's single step
  double eta = rate > 0 ? (total_ - done_) / rate : 0;
  const int width = 30;
  int filled = static_cast<int>(width * done_ / total_);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  int es = static_cast<int>(eta + 0.5);
  std::fprintf(stderr, "%s%s [%s] %lld/%lld %3d%% %.1f %s/s ETA %02d:%02d:%02d%s", tty_ ? "\r" : "", label_.c_str(),
               bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
               static_cast<int>(100 * done_ / total_), rate, unit_.c_str(), es / 3600, es / 60 % 60, es % 60, tty_ && !final ? "" : "\n");
  std::fflush(stderr);
}

}  // namespace hearth::eval
