// A progress bar with rate and ETA on stderr: redrawn in place on a terminal, a plain line every
// 10% otherwise (logs, CI).
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace hearth::eval {

class Progress {
 public:
  // `unit` names what is counted in the rate ("req", "tok").
  Progress(std::string label, int64_t total, bool enabled, std::string unit = "req");
  void tick(int64_t n = 1);
  void set(int64_t done);  // absolute count, for callers that report totals
  void finish();

 private:
  void draw(bool final);
  std::mutex mu_;
  std::string label_, unit_;
  int64_t total_, done_ = 0;
  bool enabled_, tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace hearth::eval
