#include "model/attention.h"

#include <cmath>
#include <vector>

#include "core/thread_pool.h"

namespace hearth::model {

void attention(const float* q, int64_t n_tokens, int64_t pos0, int64_t layer, KvCache& cache,
               const HParams& hp, float* out, ThreadPool* pool) {
  const int64_t hd_k = hp.head_dim_k, hd_v = hp.head_dim_v;
  const int64_t group = hp.n_head / hp.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd_k));
  const int64_t kd = cache.k_dim(), vd = cache.v_dim();
  const float* kbase = cache.k(layer, 0);
  const float* vbase = cache.v(layer, 0);

  // One task per (token, head): independent, so any split is deterministic.
  auto work = [&](int64_t begin, int64_t end) {
    std::vector<float> w;
    std::vector<float> acc(static_cast<size_t>(hd_v));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / hp.n_head, h = task % hp.n_head, g = h / group;
      const int64_t n_kv = pos0 + t + 1;
      const float* qv = q + t * hp.q_dim() + h * hd_k;
      w.resize(static_cast<size_t>(n_kv));
      float mx = -INFINITY;
      for (int64_t j = 0; j < n_kv; ++j) {
        const float* kv = kbase + j * kd + g * hd_k;
        float s = 0.0f;
        for (int64_t d = 0; d < hd_k; ++d) s += qv[d] * kv[d];
        s *= scale;
        w[j] = s;
        if (s > mx) mx = s;
      }
      double sum = 0.0;
      for (int64_t j = 0; j < n_kv; ++j) {
        w[j] = std::exp(w[j] - mx);
        sum += w[j];
      }
      const float inv = static_cast<float>(1.0 / sum);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t j = 0; j < n_kv; ++j) {
        const float p = w[j] * inv;
        const float* vv = vbase + j * vd + g * hd_v;
        for (int64_t d = 0; d < hd_v; ++d) acc[d] += p * vv[d];
      }
      float* o = out + t * (hp.n_head * hd_v) + h * hd_v;
      for (int64_t d = 0; d < hd_v; ++d) o[d] = acc[d];
    }
  };
  const int64_t n_tasks = n_tokens * hp.n_head;
  // Same reasoning as for matmuls: tiny attention is cheaper than waking the pool.
  const int64_t work_size = n_tasks * (pos0 + n_tokens) * (hd_k + hd_v);
  if (pool && n_tasks > 1 && work_size >= (int64_t(1) << 18)) pool->parallel_for(n_tasks, work);
  else work(0, n_tasks);
}

}  // namespace hearth::model
