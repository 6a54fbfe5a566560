// Requests- and tokens-per-minute limits per key, over a sliding 60-second window. A request is
// admitted while the key's requests (rpm) and tokens (tpm: input + output of requests in the
// window) are under its limits; otherwise it is refused with the seconds until it would be.
#pragma once
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace hearth::router {

class RateLimiter {
 public:
  // Admits one request now (and counts it) or returns the seconds to wait (> 0).
  double admit(const std::string& key, int rpm, int tpm, double now_s);
  // Adds a finished request's tokens to the key's window.
  void add_tokens(const std::string& key, int64_t tokens, double now_s);

 private:
  struct Window {
    std::deque<double> requests;                       // admission times
    std::deque<std::pair<double, int64_t>> tokens;     // (time, tokens)
    int64_t token_sum = 0;
  };
  static void expire(Window& w, double now_s);
  std::mutex mu_;
  std::map<std::string, Window> keys_;
};

}  // namespace hearth::router
