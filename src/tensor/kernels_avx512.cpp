// AVX-512 kernels (F/BW/VL/DQ), the base of the three AVX-512 tiers. Same math as the scalar ones;
// integer block sums are exact, float summation order differs (16 lanes).
// GCC 12's own AVX-512 headers trip -Wuninitialized on _mm512_undefined_* (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "tensor/fp16.h"
#include "tensor/kernels.h"

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

}  // namespace

void register_avx512(KernelTable& t) {
  entry(t, Type::F32).vec_dot = f32_dot;
  entry(t, Type::F16).vec_dot = f16_dot;
}

}  // namespace hearth::tensor
