// AVX-512 kernels (F/BW/VL/DQ/VNNI/BF16). Same math as the scalar ones; integer block sums use
// VNNI's dpbusd and are exact, float summation order differs (16 lanes).
// GCC 12's own AVX-512 headers trip -Wuninitialized on _mm512_undefined_* (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"
#include "tensor/simd_avx.h"

namespace hearth::tensor {
namespace {

float f32_dot(int64_t n, const void* w, const void* x) {
  const float* a = static_cast<const float*>(w);
  const float* b = static_cast<const float*>(x);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  if (i < n) {
    // Masked tail: at most two partial vectors.
    for (; i < n; i += 16) {
      const int64_t left = n - i;
      const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
      acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
    }
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

float f16_dot(int64_t n, const void* w, const void* x) {
  const uint16_t* a = static_cast<const uint16_t*>(w);
  const uint16_t* b = static_cast<const uint16_t*>(x);
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  auto load = [](const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); };
  for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(load(a + i), load(b + i), acc);
  float sum = _mm512_reduce_add_ps(acc);
  for (; i < n; ++i) sum += fp16_to_fp32(a[i]) * fp16_to_fp32(b[i]);
  return sum;
}

float bf16_dot(int64_t n, const void* w, const void* x) {
  const uint16_t* a = static_cast<const uint16_t*>(w);
  const uint16_t* b = static_cast<const uint16_t*>(x);
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  // dpbf16ps multiplies bf16 pairs exactly and adds in float.
  for (; i + 32 <= n; i += 32) {
    const __m512bh va = reinterpret_cast<__m512bh>(_mm512_loadu_si512(a + i));
    const __m512bh vb = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + i));
    acc = _mm512_dpbf16_ps(acc, va, vb);
  }
  float sum = _mm512_reduce_add_ps(acc);
  for (; i < n; ++i) sum += bf16_to_fp32(a[i]) * bf16_to_fp32(b[i]);
  return sum;
}


float q8_0_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ8_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK8_0; ++i) {
    const __m256i qa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs));
    const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs));
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(simd::dot_i8(qa, qb)), acc);
  }
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float q4_0_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  __m256 acc = _mm256_setzero_ps();
  const __m256i low = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8);
  for (int64_t i = 0; i < n / QK4_0; ++i) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a[i].qs));
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
    const __m256i qa = _mm256_sub_epi8(_mm256_and_si256(both, low), eight);
    const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs));
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(simd::dot_i8(qa, qb)), acc);
  }
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

void register_avx512(KernelTable& t) {
  entry(t, Type::F32).vec_dot = f32_dot;
  entry(t, Type::F16).vec_dot = f16_dot;
  entry(t, Type::BF16).vec_dot = bf16_dot;
  entry(t, Type::Q8_0).vec_dot = q8_0_dot;
  entry(t, Type::Q4_0).vec_dot = q4_0_dot;
  register_gemm_avx512(t);
  register_gemm_interleaved_avx512(t);
}

}  // namespace hearth::tensor
