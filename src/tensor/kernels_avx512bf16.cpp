// The avx512+bf16 tier's own kernel (AVX512-BF16: Zen 4/5, Cooper Lake, Sapphire Rapids).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

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

}  // namespace

void register_avx512bf16(KernelTable& t) { entry(t, Type::BF16).vec_dot = bf16_dot; }

}  // namespace hearth::tensor
