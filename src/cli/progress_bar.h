// A one-line download progress bar on stderr, shared by `hearth pull` and `hearth serve`
// (which pulls the default model on first use).
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace hearth::cli {

// Redraws one stderr line at most ~10 times a second: bytes, percentage, rate.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(clock::now()), last_(start_) {}
  void update(uint64_t done, uint64_t total) {
    if (!enabled_) return;
    auto now = clock::now();
    if (now - last_ < std::chrono::milliseconds(100) && done != total) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double mb = done / 1e6;
    double rate = secs > 0 ? mb / secs : 0;
    if (total > 0) {
      int width = 30;
      int filled = static_cast<int>(width * done / total);
      std::fprintf(stderr, "\r[%-*s] %5.1f%% %8.1f / %.1f MB  %6.1f MB/s", width, std::string(filled, '#').c_str(),
                   100.0 * done / total, mb, total / 1e6, rate);
    } else {
      std::fprintf(stderr, "\r%8.1f MB  %6.1f MB/s", mb, rate);
    }
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  using clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  clock::time_point start_, last_;
};

}  // namespace hearth::cli
