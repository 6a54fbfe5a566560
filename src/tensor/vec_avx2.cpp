// AVX2+FMA vector kernels (tensor/vec.h): 8 floats per step, scalar tails.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "tensor/kernels.h"
#include "tensor/simd_avx.h"

namespace hearth::tensor {
namespace {

// exp as in vec_avx512.cpp (degree-6 polynomial on |r| <= ln(2)/2), with 2^k built in the
// exponent field; x is clamped so that k stays in the normal range (exp(-87) ~ 1.6e-38).
inline __m256 exp256(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.0f));
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.428606765330187e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// Eight elements of a float or IEEE-half row as floats (widening a half is exact).
inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 load8(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
inline float as_float(float x) { return x; }
inline float as_float(uint16_t h) { return _cvtsh_ss(h); }

// The largest of y[0..n), 8 lanes at a time (max is exact, so any order gives the same value).
float max_of(const float* y, int64_t n) {
  __m256 m = _mm256_set1_ps(-INFINITY);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(y + j));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  float r = std::max(_mm_cvtss_f32(h), _mm_cvtss_f32(_mm_movehdup_ps(h)));
  for (; j < n; ++j) r = std::max(r, y[j]);
  return r;
}

// Head dimensions that are multiples of 8: eight keys at a time, one accumulator each (the key
// rows are FMA memory operands, the query stays in registers for dim <= 64), and the eight
// horizontal sums done together by a tree of hadds (10 instructions for 8 scores instead of 5 per
// score). A key's sum has the same order wherever it sits in a group (lanes (0+1)+(2+3) and
// (4+5)+(6+7), then the halves), and a short last group leaves the missing keys at zero, so a
// score does not depend on n or on where a chunk starts.
template <int64_t kDim, typename T>
void scores_by8(const float* q, const T* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y) {
  const int64_t nd = kDim > 0 ? kDim : dim;
  __m256 qv[kDim > 0 ? kDim / 8 : 1];
  if constexpr (kDim > 0)
    for (int64_t d = 0; d < kDim / 8; ++d) qv[d] = _mm256_loadu_ps(q + 8 * d);
  const __m256 sc = _mm256_set1_ps(scale);
  for (int64_t j0 = 0; j0 < n; j0 += 8) {
    const int64_t m = std::min<int64_t>(8, n - j0);
    __m256 a[8];
    for (int r = 0; r < 8; ++r) a[r] = _mm256_setzero_ps();
    for (int64_t d = 0; d < nd; d += 8) {
      const __m256 qd = kDim > 0 ? qv[d / 8] : _mm256_loadu_ps(q + d);
      for (int r = 0; r < 8; ++r)
        if (r < m) a[r] = _mm256_fmadd_ps(qd, load8(k + (j0 + r) * stride + d), a[r]);
    }
    const __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
    const __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
    const __m256 s = _mm256_mul_ps(
        _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31)), sc);
    if (m == 8) {
      _mm256_storeu_ps(y + j0, s);
    } else {
      alignas(32) float t[8];
      _mm256_store_ps(t, s);
      for (int64_t r = 0; r < m; ++r) y[j0 + r] = t[r];
    }
  }
}

template <typename T>
float attn_scores(const float* q, const T* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y) {
  if (dim == 64) {
    scores_by8<64>(q, k, stride, n, dim, scale, y);
    return max_of(y, n);
  }
  if (dim % 8 == 0) {
    scores_by8<0>(q, k, stride, n, dim, scale, y);
    return max_of(y, n);
  }
  const int64_t d8 = dim - dim % 8;
  for (int64_t j = 0; j < n; ++j) {
    const T* kj = k + j * stride;
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + 16 <= d8; d += 16) {
      a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), load8(kj + d), a);
      b = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 8), load8(kj + d + 8), b);
    }
    for (; d < d8; d += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), load8(kj + d), a);
    float s = simd::hsum256(_mm256_add_ps(a, b));
    for (; d < dim; ++d) s = std::fma(q[d], as_float(kj[d]), s);  // fused either way: same bits for both row types
    y[j] = s * scale;
  }
  return max_of(y, n);
}

float exp_sum(float* y, int64_t n, float max) {
  const __m256 mx = _mm256_set1_ps(max);
  __m256 sum = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(y + j), mx));
    _mm256_storeu_ps(y + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  float s = simd::hsum256(sum);
  for (; j < n; ++j) {
    y[j] = std::exp(y[j] - max);
    s += y[j];
  }
  return s;
}

// H heads x NC accumulators of 8 outputs from d0: every row is read once for the H heads, and
// compile-time sizes keep the accumulators in registers.
template <int NC, int H, typename T>
void weighted_sum_pass(const float* w, const T* v, int64_t stride, int64_t n, int64_t d0, float* out, SumHeads hs) {
  __m256 acc[H][NC];
  for (int h = 0; h < H; ++h)
    for (int c = 0; c < NC; ++c) acc[h][c] = _mm256_loadu_ps(out + h * hs.out_stride + d0 + 8 * c);
  for (int64_t j = 0; j < n; ++j) {
    const T* vj = v + j * stride + d0;
    if constexpr (H == 1) {  // eight accumulators and eight loaded rows would not fit 16 registers
      const __m256 wj = _mm256_set1_ps(w[j]);
      for (int c = 0; c < NC; ++c) acc[0][c] = _mm256_fmadd_ps(wj, load8(vj + 8 * c), acc[0][c]);
      continue;
    }
    __m256 x[NC];
    for (int c = 0; c < NC; ++c) x[c] = load8(vj + 8 * c);
    for (int h = 0; h < H; ++h) {
      const __m256 wj = _mm256_set1_ps(w[h * hs.w_stride + j]);
      for (int c = 0; c < NC; ++c) acc[h][c] = _mm256_fmadd_ps(wj, x[c], acc[h][c]);
    }
  }
  for (int h = 0; h < H; ++h)
    for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out + h * hs.out_stride + d0 + 8 * c, acc[h][c]);
}

template <typename T>
void weighted_sum(const float* w, const T* v, int64_t stride, int64_t n, int64_t dim, float* out, SumHeads hs) {
  const int64_t d8 = dim - dim % 8;
  // Eight accumulators per pass (64 outputs of one head, or 32 of two...): each is one FMA chain
  // over the rows, and with four the chains' latency held the FMAs to half their rate.
  for (int64_t d0 = 0; d0 < d8; d0 += 64) {
    with_count<8>((d8 - d0) / 8, [&]<int NC>() {
      constexpr int kH = NC >= 8 ? 1 : 8 / NC;
      for (int64_t h0 = 0; h0 < hs.count; h0 += kH)
        with_count<kH>(hs.count - h0, [&]<int H>() {
          weighted_sum_pass<NC, H>(w + h0 * hs.w_stride, v, stride, n, d0, out + h0 * hs.out_stride, hs);
        });
    });
  }
  for (int64_t h = 0; h < hs.count; ++h)
    for (int64_t d = d8; d < dim; ++d) {
      float* o = out + h * hs.out_stride;
      const float* wh = w + h * hs.w_stride;
      float s = o[d];
      for (int64_t j = 0; j < n; ++j) s = std::fma(wh[j], as_float(v[j * stride + d]), s);
      o[d] = s;
    }
}

void silu_mul(float* gate, const float* up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 s = _mm256_div_ps(g, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

// GELU through the F16 table (vec.h): 8 inputs rounded to F16 at once, their entries gathered
// (4 bytes at 2-byte steps, the high half dropped), widened back; the clamps as in the scalar.
void gelu_mul(float* x, const float* up, int64_t n) {
  const int* table = reinterpret_cast<const int*>(gelu_f16_table());
  const __m256 lo = _mm256_set1_ps(-10.0f), hi = _mm256_set1_ps(10.0f);
  const __m256i low16 = _mm256_set1_epi32(0xffff);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256i idx = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m256i g32 = _mm256_and_si256(_mm256_i32gather_epi32(table, idx, 2), low16);
    __m256 g = _mm256_cvtph_ps(_mm_packus_epi32(_mm256_castsi256_si128(g32), _mm256_extracti128_si256(g32, 1)));
    g = _mm256_blendv_ps(g, _mm256_setzero_ps(), _mm256_cmp_ps(v, lo, _CMP_LE_OQ));
    g = _mm256_blendv_ps(g, v, _mm256_cmp_ps(v, hi, _CMP_GE_OQ));
    if (up) g = _mm256_mul_ps(g, _mm256_loadu_ps(up + i));
    _mm256_storeu_ps(x + i, g);
  }
  for (; i < n; ++i) x[i] = up ? gelu_f16_one(x[i]) * up[i] : gelu_f16_one(x[i]);
}

// RMSNorm and RoPE give the scalar reference's bits, so no product below may be fused into an
// add (GCC contracts across intrinsics even under an fp-contract=off pragma): a product that
// feeds an add goes through opaque(), which the compiler cannot see into.
inline __m256 opaque(__m256 v) {
  __asm__("" : "+x"(v));
  return v;
}
inline float opaque(float v) {
  __asm__("" : "+x"(v));
  return v;
}

// Squares rounded to float, widened and summed in two double accumulators.
double sum_squares(const float* x, int64_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 sq = _mm256_mul_ps(v, v);
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(sq)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(sq, 1)));
  }
  const __m256d a = _mm256_add_pd(a0, a1);
  const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
  double sum = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  return sum;
}

// Two plain multiplies per element, in the reference's order: the same bits.
void scale_mul(const float* x, float scale, const float* w, float* y, int64_t n) {
  const __m256 sc = _mm256_set1_ps(scale);
  int64_t i = 0;
  if (w) {
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), sc), _mm256_loadu_ps(w + i)));
    for (; i < n; ++i) y[i] = x[i] * scale * w[i];
  } else {
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), sc));
    for (; i < n; ++i) y[i] = x[i] * scale;
  }
}

// Products rounded separately, then one add or subtract, as the reference computes them.
void rope(float* v, const float* table, int64_t n_rot, bool neox) {
  const int64_t half = n_rot / 2;
  int64_t i = 0;
  if (neox) {
    // Pairs (i, i + half): cos/sin of 8 consecutive pairs deinterleaved from the table.
    for (; i + 8 <= half; i += 8) {
      const __m256 t0 = _mm256_loadu_ps(table + 2 * i), t1 = _mm256_loadu_ps(table + 2 * i + 8);
      auto order = [](__m256 p) { return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(p), 0xd8)); };
      const __m256 c = order(_mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0)));
      const __m256 s = order(_mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1)));
      const __m256 x0 = _mm256_loadu_ps(v + i), x1 = _mm256_loadu_ps(v + i + half);
      _mm256_storeu_ps(v + i, _mm256_sub_ps(opaque(_mm256_mul_ps(x0, c)), opaque(_mm256_mul_ps(x1, s))));
      _mm256_storeu_ps(v + i + half, _mm256_add_ps(opaque(_mm256_mul_ps(x0, s)), opaque(_mm256_mul_ps(x1, c))));
    }
  } else {
    // Pairs (2i, 2i + 1) line up with the table: even lanes x0 c - x1 s, odd lanes x1 c + x0 s.
    for (; i + 4 <= half; i += 4) {
      const __m256 t = _mm256_loadu_ps(table + 2 * i), x = _mm256_loadu_ps(v + 2 * i);
      const __m256 swapped = _mm256_permute_ps(x, _MM_SHUFFLE(2, 3, 0, 1));
      _mm256_storeu_ps(v + 2 * i, _mm256_addsub_ps(opaque(_mm256_mul_ps(x, _mm256_moveldup_ps(t))),
                                                   opaque(_mm256_mul_ps(swapped, _mm256_movehdup_ps(t)))));
    }
  }
  for (; i < half; ++i) {
    const float c = table[2 * i], s = table[2 * i + 1];
    const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = v[a], x1 = v[b];
    v[a] = opaque(x0 * c) - opaque(x1 * s);
    v[b] = opaque(x0 * s) + opaque(x1 * c);
  }
}


}  // namespace

void register_vec_avx2(VecKernels& v) {
  v.attn_scores = attn_scores<float>;
  v.attn_scores_f16 = attn_scores<uint16_t>;
  v.exp_sum = exp_sum;
  v.weighted_sum = weighted_sum<float>;
  v.weighted_sum_f16 = weighted_sum<uint16_t>;
  v.silu_mul = silu_mul;
  v.gelu_mul = gelu_mul;
  v.sum_squares = sum_squares;
  v.scale_mul = scale_mul;
  v.rope = rope;
}

}  // namespace hearth::tensor
