// Progress lines on stderr: a download bar shared by `hearth pull` and `hearth serve` (which
// pulls the default model on first use), and the phases of a longer job.
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

// Progress of a job that goes through named phases, e.g. `memory import`: "read 23.4 / 47.7 MB",
// then "reconcile 12000 / 100000 records". On a terminal one stderr line is redrawn in place;
// otherwise (asked for with --progress) a line is printed at most once a second per phase and
// when each phase ends, so logs stay short.
class PhaseProgress {
 public:
  PhaseProgress(std::string job, bool enabled, bool terminal)
      : job_(std::move(job)), enabled_(enabled), terminal_(terminal), last_(clock::now()) {}
  // `bytes`: done and total are bytes (shown in MB), else a count of `unit`.
  void update(const std::string& phase, uint64_t done, uint64_t total, bool bytes, const char* unit = "records") {
    if (!enabled_) return;
    const auto now = clock::now();
    const bool ended = done >= total;
    const bool new_phase = phase != phase_;
    if (!ended && !new_phase && now - last_ < (terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(1)))
      return;
    if (ended && !new_phase && ended_) return;  // the end of a phase is shown once
    if (new_phase && terminal_ && drawn_) std::fprintf(stderr, "\n");
    phase_ = phase;
    ended_ = ended;
    last_ = now;
    const double pct = total ? 100.0 * double(done) / double(total) : 100.0;
    if (bytes)
      std::fprintf(stderr, "%s%s: %s %.1f / %.1f MB (%.0f%%)%s", terminal_ ? "\r" : "", job_.c_str(), phase.c_str(),
                   done / 1e6, total / 1e6, pct, terminal_ ? "" : "\n");
    else
      std::fprintf(stderr, "%s%s: %s %llu / %llu %s (%.0f%%)%s", terminal_ ? "\r" : "", job_.c_str(), phase.c_str(),
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), unit, pct,
                   terminal_ ? "" : "\n");
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (enabled_ && terminal_ && drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  using clock = std::chrono::steady_clock;
  std::string job_, phase_;
  bool enabled_, terminal_;
  bool drawn_ = false, ended_ = false;
  clock::time_point last_;
};

}  // namespace hearth::cli
