#include "model/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "core/thread_pool.h"
#include "tensor/vec.h"

namespace hearth::model {

void attention(const tensor::Kernels& kernels, const float* q, int64_t n_tokens, int64_t pos0, int64_t layer, KvCache& cache,
               const HParams& hp, float* out, ThreadPool* pool, const AttnLayer& opt) {
  const int64_t hd_k = hp.head_dim_k, hd_v = hp.head_dim_v;
  const int64_t group = hp.n_head / hp.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd_k));
  const int64_t kd = cache.k_dim(), vd = cache.v_dim();
  const float* kbase = cache.k(layer, 0);
  const float* vbase = cache.v(layer, 0);

  // One task per (token, head): scores against every visible key (SIMD dot products), softmax,
  // then the probability-weighted sum of the values. Tasks are independent, so any split gives
  // the same result.
  auto task = [&](int64_t t, int64_t h, std::vector<float>& w) {
    const int64_t g = h / group;
    const int64_t pos = pos0 + t;
    const int64_t first = opt.window > 0 ? std::max<int64_t>(0, pos - opt.window + 1) : 0;
    const int64_t n_kv = pos + 1 - first;
    w.resize(static_cast<size_t>(n_kv));
    tensor::attn_scores(kernels, q + t * hp.q_dim() + h * hd_k, kbase + first * kd + g * hd_k, kd, n_kv, hd_k, scale,
                        w.data());
    if (opt.softcap > 0) {
      const float inv = 1.0f / opt.softcap;
      for (float& s : w) s = opt.softcap * std::tanh(s * inv);
    }
    float mx = *std::max_element(w.begin(), w.end());
    if (opt.sinks) mx = std::max(mx, opt.sinks[h]);
    float sum = tensor::exp_sum(kernels, w.data(), n_kv, mx);
    if (opt.sinks) sum += std::exp(opt.sinks[h] - mx);
    const float inv = 1.0f / sum;
    for (float& p : w) p *= inv;
    tensor::weighted_sum(kernels, w.data(), vbase + first * vd + g * hd_v, vd, n_kv, hd_v,
                         out + t * (hp.n_head * hd_v) + h * hd_v);
  };
  const int64_t n_tasks = n_tokens * hp.n_head;
  // Same reasoning as for matmuls: tiny attention is cheaper than waking the pool.
  const int64_t work_size = n_tasks * (pos0 + n_tokens) * (hd_k + hd_v);
  if (!pool || pool->size() == 1 || n_tasks == 1 || work_size < (int64_t(1) << 18)) {
    std::vector<float> w;
    for (int64_t i = 0; i < n_tasks; ++i) task(i / hp.n_head, i % hp.n_head, w);
    return;
  }
  // Causal rows grow with the token index, so equal contiguous halves would be unbalanced:
  // threads take the heads of one token at a time from a shared counter, longest rows first.
  std::atomic<int64_t> next{0};
  pool->run([&](int, int) {
    std::vector<float> w;
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;) {
      const int64_t t = n_tokens - 1 - i / hp.n_head;
      task(t, i % hp.n_head, w);
    }
  });
}

}  // namespace hearth::model
