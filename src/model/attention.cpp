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
  // Keys in another type: the query head is converted to the key type's dot operand once (as
  // llama.cpp's matmul converts it), then one dot product per key.
  const tensor::TypeKernels& kk = kernels.table[static_cast<uint32_t>(kt)];
  const tensor::TypeKernels& qk = kernels.table[static_cast<uint32_t>(kk.vec_dot_type)];
  const tensor::from_float_fn to_q = qk.from_float_act ? qk.from_float_act : qk.from_float_ref;
  const size_t q_bytes = (tensor::row_size(kk.vec_dot_type, hd_k) + 63) & ~size_t(63);  // keeps the float row aligned
  const tensor::to_float_fn v_to_float = kernels.table[static_cast<uint32_t>(vt)].to_float;

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

  // One task per (token, head): scores against every visible key (SIMD dot products), softmax,
  // then the probability-weighted sum of the values. Tasks are independent, so any split gives
  // the same result.
  auto task = [&](int64_t t, int64_t h, std::vector<float>& w, std::vector<uint8_t>& scratch) {
    const int64_t g = h / group;
    const int64_t pos = pos0 + t;
    const int64_t first = opt.window > 0 ? std::max<int64_t>(0, pos - opt.window + 1) : 0;
    const int64_t n_kv = pos + 1 - first;
    w.resize(static_cast<size_t>(n_kv));
    const float* qh = q + t * hp.q_dim() + h * hd_k;
    if (k_f32) {
      tensor::attn_scores(kernels, qh, kbase + first * kd + g * hd_k, kd, n_kv, hd_k, scale, w.data());
    } else {
      scratch.resize(q_bytes + static_cast<size_t>(hd_v) * sizeof(float));
      to_q(qh, scratch.data(), hd_k);
      const size_t off = tensor::row_size(kt, g * hd_k);
      for (int64_t j = 0; j < n_kv; ++j)
        w[static_cast<size_t>(j)] = kk.vec_dot(hd_k, cache.k_row(layer, first + j) + off, scratch.data()) * scale;
    }
    softmax(h, w.data(), n_kv);
    float* o = out + t * (hp.n_head * hd_v) + h * hd_v;
    if (v_f32) {
      std::fill(o, o + hd_v, 0.0f);
      tensor::weighted_sum(kernels, w.data(), vbase + first * vd + g * hd_v, vd, n_kv, hd_v, o);
    } else {
      // Values in another type: each row is expanded to floats and added with its weight. For
      // F16 values the weights are rounded to F16 first, as llama.cpp's F16 matmul does.
      scratch.resize(q_bytes + static_cast<size_t>(hd_v) * sizeof(float));
      float* row = reinterpret_cast<float*>(scratch.data() + q_bytes);
      const size_t off = tensor::row_size(vt, g * hd_v);
      std::fill(o, o + hd_v, 0.0f);
      for (int64_t j = 0; j < n_kv; ++j) {
        float p = w[static_cast<size_t>(j)];
        if (vt == tensor::Type::F16) p = tensor::fp16_to_fp32(tensor::fp32_to_fp16(p));
        v_to_float(cache.v_row(layer, first + j) + off, row, hd_v);
        for (int64_t d = 0; d < hd_v; ++d) o[d] += p * row[d];
      }
    }
  };
  // F32 caches: the heads sharing a KV head (grouped-query attention) and a few neighbouring
  // tokens run together, keys and values in chunks that stay in L2 while every (token, head) of
  // the block uses them, instead of each head of each token streaming the whole range from
  // memory. Each head's arithmetic is the one above, in the same order (scores are independent;
  // weighted_sum accumulates exactly across chunks), so results do not change.
  constexpr int64_t kChunk = 256, kTokens = 4;
  auto block_task = [&](int64_t t0, int64_t g, std::vector<float>& w, std::vector<uint8_t>& scratch) {
    const int64_t nt = std::min(kTokens, n_tokens - t0);
    if (!k_f32 || !v_f32) {
      for (int64_t t = t0; t < t0 + nt; ++t)
        for (int64_t h = g * group; h < (g + 1) * group; ++h) task(t, h, w, scratch);
      return;
    }
    int64_t first[kTokens], end[kTokens], off[kTokens + 1];
    off[0] = 0;
    for (int64_t i = 0; i < nt; ++i) {
      const int64_t pos = pos0 + t0 + i;
      first[i] = opt.window > 0 ? std::max<int64_t>(0, pos - opt.window + 1) : 0;
      end[i] = pos + 1;
      off[i + 1] = off[i] + group * (end[i] - first[i]);
    }
    w.resize(static_cast<size_t>(off[nt]));
    // Scores of (token i, head j) live at w[off[i] + j * n_i], n_i = end[i] - first[i].
    auto scores_of = [&](int64_t i, int64_t j) { return w.data() + off[i] + j * (end[i] - first[i]); };
    auto out_of = [&](int64_t i, int64_t j) { return out + (t0 + i) * (hp.n_head * hd_v) + (g * group + j) * hd_v; };
    const int64_t a0 = *std::min_element(first, first + nt), a1 = end[nt - 1];
    const float* kg = kbase + g * hd_k;
    const float* vg = vbase + g * hd_v;
    for (int64_t a = a0; a < a1; a += kChunk)
      for (int64_t i = 0; i < nt; ++i) {
        const int64_t lo = std::max(a, first[i]), hi = std::min(a + kChunk, end[i]);
        if (lo >= hi) continue;
        for (int64_t j = 0; j < group; ++j)
          tensor::attn_scores(kernels, q + (t0 + i) * hp.q_dim() + (g * group + j) * hd_k, kg + lo * kd, kd, hi - lo,
                              hd_k, scale, scores_of(i, j) + (lo - first[i]));
      }
    for (int64_t i = 0; i < nt; ++i)
      for (int64_t j = 0; j < group; ++j) {
        softmax(g * group + j, scores_of(i, j), end[i] - first[i]);
        std::fill(out_of(i, j), out_of(i, j) + hd_v, 0.0f);
      }
    for (int64_t a = a0; a < a1; a += kChunk)
      for (int64_t i = 0; i < nt; ++i) {
        const int64_t lo = std::max(a, first[i]), hi = std::min(a + kChunk, end[i]);
        if (lo >= hi) continue;
        for (int64_t j = 0; j < group; ++j)
          tensor::weighted_sum(kernels, scores_of(i, j) + (lo - first[i]), vg + lo * vd, vd, hi - lo, hd_v, out_of(i, j));
      }
  };
  const int64_t n_kv_head = hp.n_head / group;
  const int64_t n_blocks = (n_tokens + kTokens - 1) / kTokens;
  const int64_t n_tasks = n_blocks * n_kv_head;
  // Same reasoning as for matmuls: tiny attention is cheaper than waking the pool.
  const int64_t work_size = n_tokens * hp.n_head * (pos0 + n_tokens) * (hd_k + hd_v);
  if (!pool || pool->size() == 1 || n_tasks == 1 || work_size < (int64_t(1) << 18)) {
    std::vector<float> w;
    std::vector<uint8_t> scratch;
    for (int64_t i = 0; i < n_tasks; ++i) block_task((i / n_kv_head) * kTokens, i % n_kv_head, w, scratch);
    return;
  }
  // Causal rows grow with the token index, so equal contiguous halves would be unbalanced:
  // threads take the KV groups of one token block at a time from a shared counter, longest rows
  // first.
  std::atomic<int64_t> next{0};
  pool->run([&](int, int) {
    std::vector<float> w;
    std::vector<uint8_t> scratch;
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;)
      block_task((n_blocks - 1 - i / n_kv_head) * kTokens, i % n_kv_head, w, scratch);
  });
}

}  // namespace hearth::model
