// AVX-512 vector kernels (tensor/vec.h): 16 floats per step, masked tails.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cmath>

#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
}

// exp(x) = 2^k * e^r with k = round(x / ln 2) and |r| <= ln(2)/2; e^r by its degree-6 Taylor
// polynomial (truncation below 2e-7 relative, about 1-2 ulp). scalef applies 2^k without
// overflow tricks: very negative x gives 0, as exp does.
inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(x, _mm512_set1_ps(88.7f));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693145751953125f), x);  // ln2 split: exact k * hi
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.428606765330187e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, k);
}

// Sixteen elements (the first `m` of them) of a float or IEEE-half row as floats.
inline __m512 load16(const float* p) { return _mm512_loadu_ps(p); }
inline __m512 load16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
inline __m512 load16(__mmask16 m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
inline __m512 load16(__mmask16 m, const uint16_t* p) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }

// The largest of y[0..n), 16 lanes at a time (max is exact, so any order gives the same value).
float max_of(const float* y, int64_t n) {
  __m512 m = _mm512_set1_ps(-INFINITY);
  for (int64_t j = 0; j < n; j += 16) m = _mm512_mask_max_ps(m, tail_mask(n - j), m, _mm512_maskz_loadu_ps(tail_mask(n - j), y + j));
  return _mm512_reduce_max_ps(m);
}

template <typename T>
float attn_scores(const float* q, const T* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y) {
  if (dim == 64) {
    // The common head size: the query stays in four registers, four keys per step for ILP.
    const __m512 q0 = _mm512_loadu_ps(q), q1 = _mm512_loadu_ps(q + 16), q2 = _mm512_loadu_ps(q + 32),
                 q3 = _mm512_loadu_ps(q + 48);
    auto one = [&](const T* kj) {
      __m512 a = _mm512_mul_ps(q0, load16(kj));
      __m512 b = _mm512_mul_ps(q1, load16(kj + 16));
      a = _mm512_fmadd_ps(q2, load16(kj + 32), a);
      b = _mm512_fmadd_ps(q3, load16(kj + 48), b);
      return _mm512_reduce_add_ps(_mm512_add_ps(a, b)) * scale;
    };
    for (int64_t j = 0; j < n; ++j) y[j] = one(k + j * stride);
    return max_of(y, n);
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* kj = k + j * stride;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t d = 0; d < dim; d += 16) {
      const __mmask16 m = tail_mask(dim - d);
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + d), load16(m, kj + d), acc);
    }
    y[j] = _mm512_reduce_add_ps(acc) * scale;
  }
  return max_of(y, n);
}

float exp_sum(float* y, int64_t n, float max) {
  const __m512 mx = _mm512_set1_ps(max);
  __m512 sum = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask(n - j);
    const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, y + j), mx));
    _mm512_mask_storeu_ps(y + j, m, e);
    sum = _mm512_mask_add_ps(sum, m, sum, e);
  }
  return _mm512_reduce_add_ps(sum);
}

// H heads x NC accumulators of 16 outputs from d0: every row is read once for the H heads, and
// compile-time sizes keep the accumulators in registers.
template <int NC, int H, typename T>
void weighted_sum_pass(const float* w, const T* v, int64_t stride, int64_t n, int64_t dim, int64_t d0, float* out,
                       SumHeads hs) {
  __m512 acc[H][NC];
  __mmask16 m[NC];
  for (int c = 0; c < NC; ++c) m[c] = tail_mask(dim - d0 - 16 * c);
  for (int h = 0; h < H; ++h)
    for (int c = 0; c < NC; ++c) acc[h][c] = _mm512_maskz_loadu_ps(m[c], out + h * hs.out_stride + d0 + 16 * c);
  for (int64_t j = 0; j < n; ++j) {
    const T* vj = v + j * stride + d0;
    __m512 x[NC];
    for (int c = 0; c < NC; ++c) x[c] = load16(m[c], vj + 16 * c);
    for (int h = 0; h < H; ++h) {
      const __m512 wj = _mm512_set1_ps(w[h * hs.w_stride + j]);
      for (int c = 0; c < NC; ++c) acc[h][c] = _mm512_fmadd_ps(wj, x[c], acc[h][c]);
    }
  }
  for (int h = 0; h < H; ++h)
    for (int c = 0; c < NC; ++c) _mm512_mask_storeu_ps(out + h * hs.out_stride + d0 + 16 * c, m[c], acc[h][c]);
}

template <typename T>
void weighted_sum(const float* w, const T* v, int64_t stride, int64_t n, int64_t dim, float* out, SumHeads hs) {
  // Up to sixteen accumulators per pass (64 outputs of four heads, 128 of two): each is one FMA
  // chain over the rows, and with four (a head of 64 alone) the chains' latency held the FMAs to
  // half their rate; the heads of a KV group share each row's loads.
  for (int64_t d0 = 0; d0 < dim; d0 += 128) {
    with_count<8>((dim - d0 + 15) / 16, [&]<int NC>() {
      constexpr int kH = 16 / NC;
      for (int64_t h0 = 0; h0 < hs.count; h0 += kH)
        with_count<kH>(hs.count - h0, [&]<int H>() {
          weighted_sum_pass<NC, H>(w + h0 * hs.w_stride, v, stride, n, dim, d0, out + h0 * hs.out_stride, hs);
        });
    });
  }
}

// GELU through the F16 table (vec.h), 16 at a time; the gather reads 4 bytes per entry and the
// narrowing to 16 bits keeps the entry.
void gelu_mul(float* x, const float* up, int64_t n) {
  const int* table = reinterpret_cast<const int*>(gelu_f16_table());
  const __m512 lo = _mm512_set1_ps(-10.0f), hi = _mm512_set1_ps(10.0f), zero = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512i idx = _mm512_cvtepu16_epi32(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m512i g32 = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, table, 2);
    __m512 g = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g32));
    g = _mm512_mask_mov_ps(g, _mm512_cmp_ps_mask(v, lo, _CMP_LE_OQ), zero);
    g = _mm512_mask_mov_ps(g, _mm512_cmp_ps_mask(v, hi, _CMP_GE_OQ), v);
    if (up) g = _mm512_mul_ps(g, _mm512_maskz_loadu_ps(m, up + i));
    _mm512_mask_storeu_ps(x + i, m, g);
  }
}

void silu_mul(float* gate, const float* up, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 s = _mm512_div_ps(g, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

}  // namespace

void register_vec_avx512(VecKernels& v) {
  v.attn_scores = attn_scores<float>;
  v.attn_scores_f16 = attn_scores<uint16_t>;
  v.exp_sum = exp_sum;
  v.weighted_sum = weighted_sum<float>;
  v.weighted_sum_f16 = weighted_sum<uint16_t>;
  v.silu_mul = silu_mul;
  v.gelu_mul = gelu_mul;
}

}  // namespace hearth::tensor
