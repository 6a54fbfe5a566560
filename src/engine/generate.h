// The generation loop shared by `hearth run`, `hearth chat` and the server: prompt, then sample
// and step until an end-of-generation token, the token budget, a full context or cancellation.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/session.h"
#include "sampling/sampler.h"

namespace hearth::engine {

enum class StopReason { eog, length, context_full, cancelled, callback };

struct GenerateResult {
  std::vector<int32_t> tokens;  // generated, excluding a final EOG token
  StopReason stop = StopReason::length;
  int64_t prompt_tokens = 0;    // prompt length
  int64_t prompt_processed = 0; // of which actually run (the rest came from the cache)
  int64_t shifted_tokens = 0;   // dropped by context shifts (SessionOptions::context_shift)
  double prompt_ms = 0, gen_ms = 0;
};

// Called with each generated token (not the EOG); return false to stop.
using TokenCallback = std::function<bool(int32_t token)>;

// n_predict < 0: until EOG or the context is full (with the session's context shift: until EOG). `cancel` (may be null) is polled per token.
// Prompt tokens are fed to the sampler's penalty history before sampling.
GenerateResult generate(Session& s, sampling::Sampler& sampler, std::span<const int32_t> prompt, int64_t n_predict,
                        const TokenCallback& on_token, const std::atomic<bool>* cancel = nullptr);

}  // namespace hearth::engine
