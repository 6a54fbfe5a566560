#pragma once
#include <cstdint>

#include "model/kv_cache.h"
#include "tensor/dispatch.h"

namespace hearth {
class ThreadPool;
}

namespace hearth::model {

// Per-layer attention settings beyond the hyper-parameters.
struct AttnLayer {
  int64_t window = 0;  // > 0: a key at distance >= window is masked (sliding-window layers)
  float softcap = 0;   // > 0: scaled scores -> softcap * tanh(score / softcap)
  const float* sinks = nullptr;  // per-head logits that join each softmax's denominator only
};

// Causal multi-head attention with grouped KV heads. q: n_tokens rows of n_head*head_dim_k;
// token t sits at position pos0 + t and attends to cache positions [0, pos0 + t] (the last
// `window` of them on sliding-window layers). The cache must already hold the batch's own keys
// and values. out: n_tokens rows of n_head*head_dim_v.
void attention(const tensor::Kernels& kernels, const float* q, int64_t n_tokens, int64_t pos0, int64_t layer, KvCache& cache,
               const HParams& hp, float* out, ThreadPool* pool, const AttnLayer& opt = {});

}  // namespace hearth::model
