// The vector kernels of tensor/vec.h (attention scores, softmax, weighted sums, SiLU and GELU),
// written once against a vector type V from simd_vec.h and compiled per width: vec_avx2.cpp
// (Ymm, 8 floats) and vec_avx512.cpp (Zmm, 16 floats). Full registers take plain loads; the last
// partial register of a row takes V's zero-filling load_n/store_n, so no kernel has a scalar tail
// and a result does not depend on where a caller splits its rows. Internal linkage: each tier
// compiles its own copy with its own flags.
#pragma once
#include <algorithm>
#include <cmath>

#include "tensor/kernels.h"
#include "tensor/simd_vec.h"

namespace hearth::tensor::simd {
namespace {

// exp(x) = 2^k * e^r with k = round(x / ln 2) and |r| <= ln(2)/2; e^r by its degree-6 Taylor
// polynomial (truncation below 2e-7 relative, about 1-2 ulp). x is clamped so that 2^k stays a
// normal float (exp(-87) ~ 1.6e-38, which next to a softmax's largest term, 1, is nothing).
template <class V>
inline typename V::F exp_of(typename V::F x) {
  x = V::fmax(V::fmin(x, V::fset(88.0f)), V::fset(-87.0f));
  const auto k = V::fround(V::fmul(x, V::fset(1.44269504088896341f)));
  auto r = V::fnmadd(k, V::fset(0.693145751953125f), x);  // ln 2 split so that k * hi is exact
  r = V::fnmadd(k, V::fset(1.428606765330187e-06f), r);
  auto p = V::fset(1.0f / 720.0f);
  p = V::fmadd(p, r, V::fset(1.0f / 120.0f));
  p = V::fmadd(p, r, V::fset(1.0f / 24.0f));
  p = V::fmadd(p, r, V::fset(1.0f / 6.0f));
  p = V::fmadd(p, r, V::fset(0.5f));
  p = V::fmadd(p, r, V::fset(1.0f));
  p = V::fmadd(p, r, V::fset(1.0f));
  return V::fmul(p, V::pow2(k));
}

// The largest of y[0..n) (max is exact, so any order gives the same value).
template <class V>
float max_of(const float* y, int64_t n) {
  auto m = V::fset(-INFINITY);
  int64_t j = 0;
  for (; j + V::kLanes <= n; j += V::kLanes) m = V::fmax(m, V::fload(y + j));
  float r = V::reduce_max(m);
  for (; j < n; ++j) r = std::max(r, y[j]);
  return r;
}

// kLanes keys at a time, one accumulator each, and their kLanes horizontal sums done together
// (V::sums_of). The query stays in registers when the head size is kDim (with the accumulators it
// must fit the register file); otherwise it is reloaded per step. A key's sum has the same order
// wherever it sits in a group, and a short last group leaves the missing keys at zero, so a score
// does not depend on n or on where a chunk starts.
template <class V, int64_t kDim, typename T>
void scores_by_group(const float* q, const T* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y) {
  using F = typename V::F;
  constexpr int L = V::kLanes;
  const int64_t nd = kDim > 0 ? kDim : dim;
  const int64_t full = nd - nd % L;
  F qv[kDim > 0 ? kDim / L : 1];
  if constexpr (kDim > 0)
    for (int64_t d = 0; d < kDim / L; ++d) qv[d] = V::fload(q + L * d);
  const F sc = V::fset(scale);
  for (int64_t j0 = 0; j0 < n; j0 += L) {
    const int64_t m = std::min<int64_t>(L, n - j0);
    F a[L];
    for (int r = 0; r < L; ++r) a[r] = V::fzero();
    for (int64_t d = 0; d < full; d += L) {
      const F qd = kDim > 0 ? qv[d / L] : V::fload(q + d);
      for (int r = 0; r < L; ++r)
        if (r < m) a[r] = V::fmadd(qd, V::fload(k + (j0 + r) * stride + d), a[r]);
    }
    if (full < nd) {  // head sizes that are not a multiple of the width
      const F qd = V::fload_n(q + full, nd - full);
      for (int r = 0; r < L; ++r)
        if (r < m) a[r] = V::fmadd(qd, V::fload_n(k + (j0 + r) * stride + full, nd - full), a[r]);
    }
    const F s = V::fmul(V::sums_of(a), sc);
    if (m == L) V::store(y + j0, s);
    else V::fstore_n(y + j0, s, m);
  }
}

template <class V, typename T>
float attn_scores(const float* q, const T* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y) {
  // Head sizes kept in registers: with one accumulator per key, 64 fits 16 registers (8 + 8)
  // and 64 or 128 fit 32 (4 + 16, 8 + 16).
  constexpr int L = V::kLanes;
  if (dim == 64) scores_by_group<V, 64>(q, k, stride, n, dim, scale, y);
  else if (dim == 128 && 128 / L + L <= V::kRegisters - 4) scores_by_group<V, 128>(q, k, stride, n, dim, scale, y);
  else scores_by_group<V, 0>(q, k, stride, n, dim, scale, y);
  return max_of<V>(y, n);
}

template <class V>
float exp_sum(float* y, int64_t n, float max) {
  const auto mx = V::fset(max);
  auto sum = V::fzero();
  int64_t j = 0;
  for (; j + V::kLanes <= n; j += V::kLanes) {
    const auto e = exp_of<V>(V::fsub(V::fload(y + j), mx));
    V::store(y + j, e);
    sum = V::fadd(sum, e);
  }
  if (j < n) {
    const auto e = V::fkeep_n(exp_of<V>(V::fsub(V::fload_n(y + j, n - j), mx)), n - j);
    V::fstore_n(y + j, e, n - j);
    sum = V::fadd(sum, e);
  }
  return V::reduce_add(sum);
}

// H heads x NC accumulators of kLanes outputs from d0 (the last `tail` wide when tail > 0): every
// row is read once for the H heads, and compile-time sizes keep the accumulators in registers.
// Each output lane is one FMA chain over the rows, from out's value: the same bits in any pass.
template <class V, int NC, int H, bool kTail, typename T>
void weighted_sum_pass(const float* w, const T* v, int64_t stride, int64_t n, int64_t d0, int64_t tail, float* out,
                       SumHeads hs) {
  using F = typename V::F;
  constexpr int L = V::kLanes;
  auto load_out = [&](const float* p) { return kTail ? V::fload_n(p, tail) : V::fload(p); };
  auto load_row = [&](const T* p) { return kTail ? V::fload_n(p, tail) : V::fload(p); };
  F acc[H][NC];
  for (int h = 0; h < H; ++h)
    for (int c = 0; c < NC; ++c) acc[h][c] = load_out(out + h * hs.out_stride + d0 + L * c);
  for (int64_t j = 0; j < n; ++j) {
    const T* vj = v + j * stride + d0;
    if constexpr (H == 1) {  // one head: the row chunks are FMA operands, not registers
      const F wj = V::fset(w[j]);
      for (int c = 0; c < NC; ++c) acc[0][c] = V::fmadd(wj, load_row(vj + L * c), acc[0][c]);
      continue;
    }
    F x[NC];
    for (int c = 0; c < NC; ++c) x[c] = load_row(vj + L * c);
    for (int h = 0; h < H; ++h) {
      const F wj = V::fset(w[h * hs.w_stride + j]);
      for (int c = 0; c < NC; ++c) acc[h][c] = V::fmadd(wj, x[c], acc[h][c]);
    }
  }
  for (int h = 0; h < H; ++h)
    for (int c = 0; c < NC; ++c) {
      float* o = out + h * hs.out_stride + d0 + L * c;
      if constexpr (kTail) V::fstore_n(o, acc[h][c], tail);
      else V::store(o, acc[h][c]);
    }
}

template <class V, typename T>
void weighted_sum(const float* w, const T* v, int64_t stride, int64_t n, int64_t dim, float* out, SumHeads hs) {
  constexpr int L = V::kLanes;
  // Half the register file in accumulators per pass (8 of 16: 64 outputs of one head or 32 of
  // two; 16 of 32: 64 outputs of four heads or 128 of two): each is one FMA chain over the rows,
  // and with four the chains' latency held the FMAs to half their rate. The heads of a KV group
  // share each row's loads.
  constexpr int kAcc = V::kRegisters / 2;
  const int64_t full = dim - dim % L;
  for (int64_t d0 = 0; d0 < full; d0 += 8 * L) {
    with_count<8>((full - d0) / L, [&]<int NC>() {
      constexpr int kH = NC >= kAcc ? 1 : kAcc / NC;
      for (int64_t h0 = 0; h0 < hs.count; h0 += kH)
        with_count<kH>(hs.count - h0, [&]<int H>() {
          weighted_sum_pass<V, NC, H, false>(w + h0 * hs.w_stride, v, stride, n, d0, 0, out + h0 * hs.out_stride, hs);
        });
    });
  }
  if (full < dim)
    for (int64_t h = 0; h < hs.count; ++h)
      weighted_sum_pass<V, 1, 1, true>(w + h * hs.w_stride, v, stride, n, full, dim - full, out + h * hs.out_stride, hs);
}

template <class V>
void silu_mul(float* gate, const float* up, int64_t n) {
  const auto one = V::fset(1.0f);
  auto silu = [&](typename V::F g, typename V::F u) {
    return V::fmul(V::fdiv(g, V::fadd(one, exp_of<V>(V::fsub(V::fzero(), g)))), u);
  };
  int64_t i = 0;
  for (; i + V::kLanes <= n; i += V::kLanes) V::store(gate + i, silu(V::fload(gate + i), V::fload(up + i)));
  if (i < n) V::fstore_n(gate + i, silu(V::fload_n(gate + i, n - i), V::fload_n(up + i, n - i)), n - i);
}

// GELU through the F16 table (vec.h): inputs rounded to F16, their entries gathered and widened;
// the clamps as in the scalar.
template <class V>
void gelu_mul(float* x, const float* up, int64_t n) {
  const uint16_t* table = gelu_f16_table();
  const auto lo = V::fset(-10.0f), hi = V::fset(10.0f);
  auto gelu = [&](typename V::F v) {
    const auto g = V::lookup_f16(table, v);
    return V::if_ge(v, hi, v, V::if_le(v, lo, V::fzero(), g));
  };
  int64_t i = 0;
  for (; i + V::kLanes <= n; i += V::kLanes) {
    auto g = gelu(V::fload(x + i));
    if (up) g = V::fmul(g, V::fload(up + i));
    V::store(x + i, g);
  }
  if (i < n) {
    auto g = gelu(V::fload_n(x + i, n - i));
    if (up) g = V::fmul(g, V::fload_n(up + i, n - i));
    V::fstore_n(x + i, g, n - i);
  }
}

// The kernels of this file into a tier's table.
template <class V>
void fill_vec(VecKernels& v) {
  v.attn_scores = attn_scores<V, float>;
  v.attn_scores_f16 = attn_scores<V, uint16_t>;
  v.exp_sum = exp_sum<V>;
  v.weighted_sum = weighted_sum<V, float>;
  v.weighted_sum_f16 = weighted_sum<V, uint16_t>;
  v.silu_mul = silu_mul<V>;
  v.gelu_mul = gelu_mul<V>;
}

}  // namespace
}  // namespace hearth::tensor::simd
