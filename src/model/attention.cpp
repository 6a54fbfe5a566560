#include "model/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "core/thread_pool.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"
#include "tensor/vec.h"

namespace hearth::model {

void attention(const tensor::Kernels& kernels, const float* q, int64_t n_tokens, int64_t pos0, int64_t layer, KvCache& cache,
               const HParams& hp, float* out, ThreadPool* pool, const AttnLayer& opt) {
  const int64_t hd_k = hp.head_dim_k, hd_v = hp.head_dim_v;
  const int64_t group = hp.n_head / hp.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd_k));
  const int64_t kd = cache.k_dim(), vd = cache.v_dim();
  const tensor::Type kt = cache.types().k, vt = cache.types().v;
  const bool k_f32 = kt == tensor::Type::F32, v_f32 = vt == tensor::Type::F32;
  const float* kbase = k_f32 ? reinterpret_cast<const float*>(cache.k_row(layer, 0)) : nullptr;
  const float* vbase = v_f32 ? reinterpret_cast<const float*>(cache.v_row(layer, 0)) : nullptr;
  // Keys in another type: the query is rounded as the key type's dot operand (block_task).
  const tensor::TypeKernels& kk = kernels.table[static_cast<uint32_t>(kt)];
  const tensor::TypeKernels& qk = kernels.table[static_cast<uint32_t>(kk.vec_dot_type)];
  const tensor::from_float_fn to_q = qk.from_float_act ? qk.from_float_act : qk.from_float_ref;
  const size_t q_bytes = (tensor::row_size(kk.vec_dot_type, hd_k) + 63) & ~size_t(63);  // keeps the float row aligned
  const tensor::to_float_fn v_to_float = kernels.table[static_cast<uint32_t>(vt)].to_float;
  const tensor::TypeKernels& f16 = kernels.table[static_cast<uint32_t>(tensor::Type::F16)];

  // Scores of head h -> probabilities, in place: soft-cap, softmax with the head's sink.
  auto softmax = [&](int64_t h, float* w, int64_t n_kv) {
    if (opt.softcap > 0) {
      const float inv = 1.0f / opt.softcap;
      for (int64_t j = 0; j < n_kv; ++j) w[j] = opt.softcap * std::tanh(w[j] * inv);
    }
    float mx = *std::max_element(w, w + n_kv);
    if (opt.sinks) mx = std::max(mx, opt.sinks[h]);
    float sum = tensor::exp_sum(kernels, w, n_kv, mx);
    if (opt.sinks) sum += std::exp(opt.sinks[h] - mx);
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < n_kv; ++j) w[j] *= inv;
  };

  // The heads sharing a KV head (grouped-query attention) and a few neighbouring tokens run
  // together, keys and values in chunks that stay in L2 while every (token, head) of the block
  // uses them, instead of each head of each token streaming the whole range from memory. Scores
  // are independent and weighted_sum accumulates exactly across chunks, so the block shape does
  // not change results: one token and a batch agree.
  // A cache in another type is expanded to F32 one chunk at a time (once per block, not per
  // head), and the query takes the rounding llama.cpp's matmul gives it (converted to the key
  // type's dot operand and back), so F16 keys give the F16 x F16 products, summed in F32. For F16
  // values the weights are rounded to F16 first, as llama.cpp's F16 matmul does.
  constexpr int64_t kChunk = 256, kTokens = 4;
  struct Scratch {
    std::vector<float> w, q, k, v;
    std::vector<uint8_t> qconv;
    std::vector<uint16_t> half;
    std::vector<const float*> queries;
  };
  auto block_task = [&](int64_t t0, int64_t g, Scratch& sc) {
    const int64_t nt = std::min(kTokens, n_tokens - t0);
    int64_t first[kTokens], end[kTokens], off[kTokens + 1];
    off[0] = 0;
    for (int64_t i = 0; i < nt; ++i) {
      const int64_t pos = pos0 + t0 + i;
      first[i] = opt.window > 0 ? std::max<int64_t>(0, pos - opt.window + 1) : 0;
      end[i] = pos + 1;
      off[i + 1] = off[i] + group * (end[i] - first[i]);
    }
    sc.w.resize(static_cast<size_t>(off[nt]));
    // Scores of (token i, head j) live at w[off[i] + j * n_i], n_i = end[i] - first[i].
    auto scores_of = [&](int64_t i, int64_t j) { return sc.w.data() + off[i] + j * (end[i] - first[i]); };
    auto out_of = [&](int64_t i, int64_t j) { return out + (t0 + i) * (hp.n_head * hd_v) + (g * group + j) * hd_v; };
    auto query_of = [&](int64_t i, int64_t j) {
      const float* qh = q + (t0 + i) * hp.q_dim() + (g * group + j) * hd_k;
      if (k_f32) return qh;
      float* r = sc.q.data() + (i * group + j) * hd_k;
      to_q(qh, sc.qconv.data(), hd_k);
      qk.to_float(sc.qconv.data(), r, hd_k);
      return static_cast<const float*>(r);
    };
    if (!k_f32) {
      sc.q.resize(static_cast<size_t>(nt * group * hd_k));
      sc.qconv.resize(q_bytes);
      sc.k.resize(static_cast<size_t>(kChunk * hd_k));
    }
    if (!v_f32) sc.v.resize(static_cast<size_t>(kChunk * hd_v));
    sc.queries.resize(static_cast<size_t>(nt * group));
    for (int64_t i = 0; i < nt; ++i)
      for (int64_t j = 0; j < group; ++j) sc.queries[i * group + j] = query_of(i, j);
    const int64_t a0 = *std::min_element(first, first + nt), a1 = end[nt - 1];
    const size_t k_off = tensor::row_size(kt, g * hd_k), v_off = tensor::row_size(vt, g * hd_v);
    // Rows [a, a + n) of this KV head's keys (or values) as floats: in place for an F32 cache.
    auto keys = [&](int64_t a, int64_t n, int64_t& stride) -> const float* {
      if (k_f32) {
        stride = kd;
        return kbase + a * kd + g * hd_k;
      }
      stride = hd_k;
      for (int64_t r = 0; r < n; ++r) kk.to_float(cache.k_row(layer, a + r) + k_off, sc.k.data() + r * hd_k, hd_k);
      return sc.k.data();
    };
    auto values = [&](int64_t a, int64_t n, int64_t& stride) -> const float* {
      if (v_f32) {
        stride = vd;
        return vbase + a * vd + g * hd_v;
      }
      stride = hd_v;
      for (int64_t r = 0; r < n; ++r) v_to_float(cache.v_row(layer, a + r) + v_off, sc.v.data() + r * hd_v, hd_v);
      return sc.v.data();
    };
    for (int64_t a = a0; a < a1; a += kChunk) {
      int64_t stride = 0;
      const int64_t n = std::min(kChunk, a1 - a);
      const float* kc = keys(a, n, stride);
      for (int64_t i = 0; i < nt; ++i) {
        const int64_t lo = std::max(a, first[i]), hi = std::min(a + kChunk, end[i]);
        if (lo >= hi) continue;
        for (int64_t j = 0; j < group; ++j)
          tensor::attn_scores(kernels, sc.queries[i * group + j], kc + (lo - a) * stride, stride, hi - lo, hd_k, scale,
                              scores_of(i, j) + (lo - first[i]));
      }
    }
    for (int64_t i = 0; i < nt; ++i)
      for (int64_t j = 0; j < group; ++j) {
        float* w = scores_of(i, j);
        const int64_t n_kv = end[i] - first[i];
        softmax(g * group + j, w, n_kv);
        if (vt == tensor::Type::F16) {  // through the tier's F16 converters (F16C), in place
          sc.half.resize(static_cast<size_t>(n_kv));
          f16.from_float_act(w, sc.half.data(), n_kv);
          f16.to_float(sc.half.data(), w, n_kv);
        }
        std::fill(out_of(i, j), out_of(i, j) + hd_v, 0.0f);
      }
    for (int64_t a = a0; a < a1; a += kChunk) {
      int64_t stride = 0;
      const int64_t n = std::min(kChunk, a1 - a);
      const float* vc = values(a, n, stride);
      for (int64_t i = 0; i < nt; ++i) {
        const int64_t lo = std::max(a, first[i]), hi = std::min(a + kChunk, end[i]);
        if (lo >= hi) continue;
        for (int64_t j = 0; j < group; ++j)
          tensor::weighted_sum(kernels, scores_of(i, j) + (lo - first[i]), vc + (lo - a) * stride, stride, hi - lo, hd_v,
                               out_of(i, j));
      }
    }
  };
  const int64_t n_kv_head = hp.n_head / group;
  const int64_t n_blocks = (n_tokens + kTokens - 1) / kTokens;
  const int64_t n_tasks = n_blocks * n_kv_head;
  // Same reasoning as for matmuls: tiny attention is cheaper than waking the pool.
  const int64_t work_size = n_tokens * hp.n_head * (pos0 + n_tokens) * (hd_k + hd_v);
  if (!pool || pool->size() == 1 || n_tasks == 1 || work_size < (int64_t(1) << 18)) {
    Scratch sc;
    for (int64_t i = 0; i < n_tasks; ++i) block_task((i / n_kv_head) * kTokens, i % n_kv_head, sc);
    return;
  }
  // Causal rows grow with the token index, so equal contiguous halves would be unbalanced:
  // threads take the KV groups of one token block at a time from a shared counter, longest rows
  // first.
  std::atomic<int64_t> next{0};
  pool->run([&](int, int) {
    Scratch sc;
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;)
      block_task((n_blocks - 1 - i / n_kv_head) * kTokens, i % n_kv_head, sc);
  });
}

}  // namespace hearth::model
