#include "model/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
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
  // An F16 cache is read where it lies (the kernels widen as they load).
  const uint16_t* kbase16 = kt == tensor::Type::F16 ? reinterpret_cast<const uint16_t*>(cache.k_row(layer, 0)) : nullptr;
  const uint16_t* vbase16 = vt == tensor::Type::F16 ? reinterpret_cast<const uint16_t*>(cache.v_row(layer, 0)) : nullptr;
  // Keys in another type: the query is rounded as the key type's dot operand (block_task).
  const tensor::TypeKernels& kk = kernels.table[static_cast<uint32_t>(kt)];
  const tensor::TypeKernels& qk = kernels.table[static_cast<uint32_t>(kk.vec_dot_type)];
  const tensor::from_float_fn to_q = qk.from_float_act ? qk.from_float_act : qk.from_float_ref;
  const size_t q_bytes = (tensor::row_size(kk.vec_dot_type, hd_k) + 63) & ~size_t(63);  // keeps the float row aligned
  const tensor::to_float_fn v_to_float = kernels.table[static_cast<uint32_t>(vt)].to_float;
  const tensor::TypeKernels& f16 = kernels.table[static_cast<uint32_t>(tensor::Type::F16)];

  // Fused attention with an online softmax: keys and values are read once, in chunks of kChunk
  // positions that stay in L2, and each (token, head) keeps only a running maximum m, a running
  // sum l and its output row; a chunk's scores (at most kChunk floats per head of the KV group)
  // are the only other state, so nothing grows with the context (but the F16 cache's kept scores,
  // below). The heads sharing a KV head (grouped-query attention) and up to kTokens neighbouring
  // tokens run together over each chunk, so a chunk is copied out of the cache (F32 rows side by
  // side, F16 ones too, a quantized cache expanded to F32) once for all of them.
  // At depth the chunks come from L3 or memory for the first token of a block and from L2 for the
  // rest, so more tokens per block cut that traffic: 16 instead of 4 read a 128-token prompt after 4096
  // positions 1.2x faster with AVX-512 (the F16 cache's kept scores, 16 x group x context floats
  // per thread, are 8 MiB at 32k positions for a group of 4).
  // Chunks start at multiples of kChunk in absolute positions, so the order in which a (token,
  // head) meets its keys, and with it every rounding, depends on that token alone: one token and
  // a batch give the same bits.
  // A cache in another type: the query takes the rounding llama.cpp's matmul gives it (converted
  // to the key type's dot operand and back), so F16 keys give F16 x F16 products summed in F32;
  // for F16 values the weights are rounded to F16 before they multiply the values.
  constexpr int64_t kChunk = 256, kTokens = 16;
  struct Scratch {
    std::vector<float> s, q, k, v, m, l, kept;
    std::vector<uint8_t> qconv;
    std::vector<uint16_t> half, k16, v16;
    std::vector<const float*> queries;
  };
  // Fewer tokens per block when a short prompt would leave threads without a task: at least two
  // tasks per thread, so the longest-first order below can even them out. Which tokens share a
  // block never changes a bit (see above), only how often a chunk is loaded.
  const int64_t n_kv_head = hp.n_head / group;
  const int64_t n_threads = pool ? pool->size() : 1;
  int64_t block = kTokens;
  while (block > 1 && (n_tokens + block - 1) / block * n_kv_head < 2 * n_threads) block /= 2;
  auto block_task = [&](int64_t t0, int64_t g, Scratch& sc) {
    const int64_t nt = std::min(block, n_tokens - t0);
    int64_t first[kTokens], end[kTokens];
    for (int64_t i = 0; i < nt; ++i) {
      const int64_t pos = pos0 + t0 + i;
      first[i] = opt.window > 0 ? std::max<int64_t>(0, pos - opt.window + 1) : 0;
      end[i] = pos + 1;
    }
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
    }
    // Each chunk's rows, copied side by side (keys/values below): as halves for an F16 cache.
    if (kbase16) sc.k16.resize(static_cast<size_t>(kChunk * hd_k));
    else sc.k.resize(static_cast<size_t>(kChunk * hd_k));
    if (vbase16) sc.v16.resize(static_cast<size_t>(kChunk * hd_v));
    else sc.v.resize(static_cast<size_t>(kChunk * hd_v));
    if (vt == tensor::Type::F16) sc.half.resize(static_cast<size_t>(kChunk));
    sc.s.resize(static_cast<size_t>(group * kChunk));  // a row per head of the group
    sc.queries.resize(static_cast<size_t>(nt * group));
    sc.m.assign(static_cast<size_t>(nt * group), -INFINITY);
    sc.l.assign(static_cast<size_t>(nt * group), 0.0f);
    for (int64_t i = 0; i < nt; ++i)
      for (int64_t j = 0; j < group; ++j) {
        sc.queries[i * group + j] = query_of(i, j);
        std::fill(out_of(i, j), out_of(i, j) + hd_v, 0.0f);
      }
    const int64_t a0 = *std::min_element(first, first + nt), a1 = end[nt - 1];
    const size_t k_off = tensor::row_size(kt, g * hd_k), v_off = tensor::row_size(vt, g * hd_v);
    // Rows [a, a + n) of this KV head's keys (or values) as contiguous floats in scratch. The
    // cache interleaves the KV heads of a position, so in place a head's rows lie a whole cache
    // row apart (2 KiB for 8 heads of 64); every query of the block reading them with that stride
    // cost more than one copy: F32 cache, llama-3.2-1b Q4_0, pp128 over 4096 positions, 97 -> 124
    // t/s with AVX-512 and 78 -> 94 with AVX2 (2 Zen 5 cores). One token is another matter (below).
    // One token reads an F32 cache in place, rows a cache row apart: for it the copy cost more
    // than the group's heads reading strided rows (llama-3.2-1b Q4_0, tg64 at depth 4096 with
    // AVX-512: 15.2-15.3 -> 16.5-16.7 t/s). An F16 cache's chunk copied fits L1, and the heads
    // reading it there beat reading 2 of every 16 lines in place (18.6-19.7 -> 17.8).
    const bool in_place = nt == 1;
    const int64_t k_stride = in_place && k_f32 ? kd : hd_k;
    const int64_t v_stride = in_place && v_f32 ? vd : hd_v;
    auto keys = [&](int64_t a, int64_t n) -> const float* {
      if (in_place && k_f32) return kbase + a * kd + g * hd_k;
      for (int64_t r = 0; r < n; ++r) {
        float* dst = sc.k.data() + r * hd_k;
        if (k_f32) std::memcpy(dst, kbase + (a + r) * kd + g * hd_k, static_cast<size_t>(hd_k) * sizeof(float));
        else kk.to_float(cache.k_row(layer, a + r) + k_off, dst, hd_k);
      }
      return sc.k.data();
    };
    // The same for an F16 cache, kept in F16 (the kernels widen as they load).
    auto rows16 = [&](const uint16_t* base, int64_t dim, int64_t hd, int64_t a, int64_t n, std::vector<uint16_t>& dst) {
      for (int64_t r = 0; r < n; ++r)
        std::memcpy(dst.data() + r * hd, base + (a + r) * dim + g * hd, static_cast<size_t>(hd) * sizeof(uint16_t));
      return static_cast<const uint16_t*>(dst.data());
    };
    auto values = [&](int64_t a, int64_t n) -> const float* {
      if (in_place && v_f32) return vbase + a * vd + g * hd_v;
      for (int64_t r = 0; r < n; ++r) {
        float* dst = sc.v.data() + r * hd_v;
        if (v_f32) std::memcpy(dst, vbase + (a + r) * vd + g * hd_v, static_cast<size_t>(hd_v) * sizeof(float));
        else v_to_float(cache.v_row(layer, a + r) + v_off, dst, hd_v);
      }
      return sc.v.data();
    };
    // Multiplies an output row by f (its weights re-expressed under a new maximum, or normalized).
    auto rescale = [&](float* o, float f) {
      for (int64_t d = 0; d < hd_v; ++d) o[d] *= f;
    };
    // Visits the block's chunks: for every (token, head) that attends to some of a chunk's rows,
    // puts their (soft-capped) scores in head j's row of sc.s and calls f(i, j, scores, n, their
    // maximum, values (rows hd_v apart), first row), the group's heads of a token in turn over
    // the same rows; values are copied out only when with_values.
    auto sweep = [&](bool with_values, auto&& f) {
      for (int64_t c = a0 - a0 % kChunk; c < a1; c += kChunk) {
        const int64_t b = std::max(c, a0), e = std::min(c + kChunk, a1);  // rows some token uses
        const float* kc = kbase16 ? nullptr : keys(b, e - b);
        const uint16_t* kc16 = kbase16 ? rows16(kbase16, kd, hd_k, b, e - b, sc.k16) : nullptr;
        const float* vc = with_values ? values(b, e - b) : nullptr;
        for (int64_t i = 0; i < nt; ++i) {
          const int64_t lo = std::max(b, first[i]), hi = std::min(e, end[i]);
          if (lo >= hi) continue;
          const int64_t n = hi - lo;
          for (int64_t j = 0; j < group; ++j) {
            float* sv = sc.s.data() + j * kChunk;
            const float* qij = sc.queries[i * group + j];
            float mx = kbase16 ? tensor::attn_scores(kernels, qij, kc16 + (lo - b) * k_stride, k_stride, n, hd_k, scale, sv)
                               : tensor::attn_scores(kernels, qij, kc + (lo - b) * k_stride, k_stride, n, hd_k, scale, sv);
            if (opt.softcap > 0) {
              const float inv = 1.0f / opt.softcap;
              for (int64_t t = 0; t < n; ++t) sv[t] = opt.softcap * std::tanh(sv[t] * inv);
              mx = *std::max_element(sv, sv + n);
            }
            f(i, j, sv, n, mx, vc ? vc + (lo - b) * v_stride : nullptr, lo);
          }
        }
      }
    };
    // Folds n scores (whose maximum is smax) into (token, head) ij's running maximum and sum; they
    // become exp(s - m) in place. Returns the factor that re-expresses what was accumulated under
    // the old maximum.
    auto absorb = [&](int64_t ij, float* sv, int64_t n, float smax) {
      const float mx = std::max(sc.m[ij], smax);
      const float f = sc.l[ij] > 0 && mx > sc.m[ij] ? std::exp(sc.m[ij] - mx) : 1.0f;
      sc.m[ij] = mx;
      sc.l[ij] = sc.l[ij] * f + tensor::exp_sum(kernels, sv, n, mx);
      return f;
    };
    // The head's sink (gpt-oss) is one more logit with no value: it only adds to the sum.
    auto absorb_sink = [&](int64_t i, int64_t j) {
      const int64_t ij = i * group + j;
      if (!opt.sinks) return 1.0f;
      float sink = opt.sinks[g * group + j];
      return absorb(ij, &sink, 1, sink);
    };
    if (vt != tensor::Type::F16) {
      // One pass: each chunk's weights are added to the output under the running maximum, for
      // the group's heads together once the last has its weights (the value rows are read once).
      sweep(true, [&](int64_t i, int64_t j, float* sv, int64_t n, float smax, const float* v, int64_t) {
        const float f = absorb(i * group + j, sv, n, smax);
        if (f != 1.0f) rescale(out_of(i, j), f);
        if (j == group - 1)
          tensor::weighted_sum(kernels, sc.s.data(), v, v_stride, n, hd_v, out_of(i, 0), {group, kChunk, hd_v});
      });
      for (int64_t i = 0; i < nt; ++i)
        for (int64_t j = 0; j < group; ++j) {
          float* o = out_of(i, j);
          const float f = absorb_sink(i, j);
          rescale(o, f / sc.l[i * group + j]);
        }
      return;
    }
    // F16 values: llama.cpp rounds the normalized weights to F16 before they multiply the values,
    // and on these small models logits follow that rounding closely (rounding exp(s - m) instead
    // moved them by 0.15 median), so a first pass over the keys finds each maximum and sum and
    // keeps the scores (a row per (token, head) over the block's span, about 300 KB at 4k
    // positions), and a second adds the normalized, rounded weights without reading keys again.
    const int64_t span = a1 - a0;
    sc.kept.resize(static_cast<size_t>(nt * group * span));
    auto kept = [&](int64_t ij, int64_t row) { return sc.kept.data() + ij * span + (row - a0); };
    sweep(false, [&](int64_t i, int64_t j, float* sv, int64_t n, float smax, const float*, int64_t lo) {
      const int64_t ij = i * group + j;
      std::copy(sv, sv + n, kept(ij, lo));
      absorb(ij, sv, n, smax);
    });
    for (int64_t i = 0; i < nt; ++i)
      for (int64_t j = 0; j < group; ++j) absorb_sink(i, j);
    for (int64_t c = a0 - a0 % kChunk; c < a1; c += kChunk) {
      const int64_t b = std::max(c, a0), e = std::min(c + kChunk, a1);
      const uint16_t* vc16 = rows16(vbase16, vd, hd_v, b, e - b, sc.v16);
      for (int64_t i = 0; i < nt; ++i) {
        const int64_t lo = std::max(b, first[i]), hi = std::min(e, end[i]);
        if (lo >= hi) continue;
        const int64_t n = hi - lo;
        for (int64_t j = 0; j < group; ++j) {
          const int64_t ij = i * group + j;
          float* sv = kept(ij, lo);
          tensor::exp_sum(kernels, sv, n, sc.m[ij]);
          const float inv = 1.0f / sc.l[ij];
          for (int64_t t = 0; t < n; ++t) sv[t] *= inv;
          f16.from_float_act(sv, sc.half.data(), n);  // through the tier's F16 converters (F16C)
          f16.to_float(sc.half.data(), sv, n);
        }
        tensor::weighted_sum(kernels, kept(i * group, lo), vc16 + (lo - b) * v_stride, v_stride, n, hd_v, out_of(i, 0),
                             {group, span, hd_v});
      }
    }
  };
  const int64_t n_blocks = (n_tokens + block - 1) / block;
  const int64_t n_tasks = n_blocks * n_kv_head;
  // Same reasoning as for matmuls: tiny attention is cheaper than waking the pool.
  const int64_t work_size = n_tokens * hp.n_head * (pos0 + n_tokens) * (hd_k + hd_v);
  if (!pool || pool->size() == 1 || n_tasks == 1 || work_size < (int64_t(1) << 18)) {
    Scratch sc;
    for (int64_t i = 0; i < n_tasks; ++i) block_task((i / n_kv_head) * block, i % n_kv_head, sc);
    return;
  }
  // Causal rows grow with the token index, so equal contiguous halves would be unbalanced:
  // threads take the KV groups of one token block at a time from a shared counter, longest rows
  // first.
  std::atomic<int64_t> next{0};
  pool->run([&](int, int) {
    Scratch sc;
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;)
      block_task((n_blocks - 1 - i / n_kv_head) * block, i % n_kv_head, sc);
  });
}

}  // namespace hearth::model
