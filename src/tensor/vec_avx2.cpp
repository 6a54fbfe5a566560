// AVX2+FMA vector kernels (tensor/vec.h): those shared with AVX-512 (vec_simd.h) at 8 floats per
// register, and RMSNorm's and RoPE's, which give the scalar reference's bits and serve every SIMD
// tier (they are bound by memory, not by the width).
#include <immintrin.h>

#include "tensor/kernels.h"
#include "tensor/vec_simd.h"

namespace hearth::tensor {
namespace {

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
  simd::fill_vec<simd::Ymm>(v);
  v.sum_squares = sum_squares;
  v.scale_mul = scale_mul;
  v.rope = rope;
}

}  // namespace hearth::tensor
