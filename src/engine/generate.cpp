#include "engine/generate.h"

#include <chrono>

namespace hearth::engine {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

GenerateResult generate(Session& s, sampling::Sampler& sampler, std::span<const int32_t> prompt, int64_t n_predict,
                        const TokenCallback& on_token, const std::atomic<bool>* cancel) {
  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  auto t0 = std::chrono::steady_clock::now();
  const std::vector<float>* logits = &s.prompt(prompt);
  r.prompt_ms = ms_since(t0);
  r.prompt_processed = s.last_prompt_processed();
  for (int32_t t : prompt) sampler.accept_prompt(t);

  auto t1 = std::chrono::steady_clock::now();
  while (true) {
    if (n_predict >= 0 && static_cast<int64_t>(r.tokens.size()) >= n_predict) {
      r.stop = StopReason::length;
      break;
    }
    if (cancel && cancel->load()) {
      r.stop = StopReason::cancelled;
      break;
    }
    const int32_t tok = sampler.sample(logits->data());
    sampler.accept(tok);
    if (s.tokenizer().is_eog(tok)) {
      r.stop = StopReason::eog;
      break;
    }
    r.tokens.push_back(tok);
    if (on_token && !on_token(tok)) {
      r.stop = StopReason::callback;
      break;
    }
    if (static_cast<int64_t>(s.history().size()) >= s.n_ctx()) {
      const int64_t dropped = s.options().context_shift ? s.shift_context() : 0;
      if (dropped == 0) {
        r.stop = StopReason::context_full;
        break;
      }
      r.shifted_tokens += dropped;
    }
    logits = &s.step(tok);
  }
  r.gen_ms = ms_since(t1);
  return r;
}

}  // namespace hearth::engine
