#include "router/rate_limit.h"

#include <algorithm>

namespace hearth::router {

namespace {
constexpr double kWindowS = 60;
}

void RateLimiter::expire(Window& w, double now) {
  while (!w.requests.empty() && w.requests.front() <= now - kWindowS) w.requests.pop_front();
  while (!w.tokens.empty() && w.tokens.front().first <= now - kWindowS) {
    w.token_sum -= w.tokens.front().second;
    w.tokens.pop_front();
  }
}

double RateLimiter::admit(const std::string& key, int rpm, int tpm, double now) {
  if (rpm <= 0 && tpm <= 0) return 0;
  std::lock_guard<std::mutex> lk(mu_);
  Window& w = keys_[key];
  expire(w, now);
  double wait = 0;
  if (rpm > 0 && static_cast<int>(w.requests.size()) >= rpm) {
    // The request that frees a slot is the one `size - rpm` from the front.
    wait = std::max(wait, w.requests[w.requests.size() - static_cast<size_t>(rpm)] + kWindowS - now);
  }
  if (tpm > 0 && w.token_sum >= tpm) {
    // Wait until enough of the oldest tokens leave the window to fall under the limit.
    int64_t sum = w.token_sum;
    for (const auto& [t, n] : w.tokens) {
      sum -= n;
      if (sum < tpm) {
        wait = std::max(wait, t + kWindowS - now);
        break;
      }
    }
  }
  if (wait > 0) return wait;
  w.requests.push_back(now);
  return 0;
}

void RateLimiter::add_tokens(const std::string& key, int64_t tokens, double now) {
  if (tokens <= 0) return;
  std::lock_guard<std::mutex> lk(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end()) return;  // only keys with limits are tracked
  expire(it->second, now);
  it->second.tokens.push_back({now, tokens});
  it->second.token_sum += tokens;
}

}  // namespace hearth::router
