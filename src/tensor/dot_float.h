// Dot products of float rows (F32, F16, BF16) and the F16 widening, written once against a vector
// type V from simd_vec.h (kernels_avx2.cpp: Ymm; kernels_avx512.cpp: Zmm). Element i goes to one of
// 16 lane classes (i mod 16: two 8-float registers or one of 16), the classes are added by
// V::reduce_add in one fixed order and the last n mod 16 products one by one, so a dot gives the
// same bits on every SIMD tier, and the F16 tiles (gemm_f16.h), which keep the same classes, the
// same bits as the dot. The order at 8 lanes is llama.cpp's x86 one, which the golden logits of
// the F32 stories model follow. Internal linkage: each tier compiles its own copy.
#pragma once
#include <cmath>
#include <cstdint>

#include "tensor/fp16.h"
#include "tensor/simd_vec.h"

namespace hearth::tensor::simd {
namespace {

template <class V>
constexpr int kClassRegs = 16 / V::kLanes;  // registers that hold the 16 lane classes

// The classes of one sum, added and reduced.
template <class V>
inline float reduce_classes(const typename V::F* acc) {
  typename V::F s = acc[0];
  for (int p = 1; p < kClassRegs<V>; ++p) s = V::fadd(s, acc[p]);
  return V::reduce_add(s);
}

template <class V, typename T, typename Load, typename One>
inline float dot_by_classes(int64_t n, const void* w, const void* x, Load load, One one) {
  const T* a = static_cast<const T*>(w);
  const T* b = static_cast<const T*>(x);
  typename V::F acc[kClassRegs<V>];
  for (auto& v : acc) v = V::fzero();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int p = 0; p < kClassRegs<V>; ++p)
      acc[p] = V::fmadd(load(a + i + p * V::kLanes), load(b + i + p * V::kLanes), acc[p]);
  float sum = reduce_classes<V>(acc);
  // Fused explicitly: whether GCC contracts `sum += a * b` depends on the pragmas in force where
  // a template is instantiated, and the tiers must agree.
  for (; i < n; ++i) sum = std::fma(one(a[i]), one(b[i]), sum);
  return sum;
}

template <class V>
float f32_dot(int64_t n, const void* w, const void* x) {
  return dot_by_classes<V, float>(n, w, x, [](const float* p) { return V::fload(p); }, [](float v) { return v; });
}

template <class V>
float f16_dot(int64_t n, const void* w, const void* x) {
  return dot_by_classes<V, uint16_t>(n, w, x, [](const uint16_t* p) { return V::fload(p); }, fp16_to_fp32);
}

template <class V>
float bf16_dot(int64_t n, const void* w, const void* x) {
  return dot_by_classes<V, uint16_t>(n, w, x, [](const uint16_t* p) { return V::bf16_load(p); }, bf16_to_fp32);
}

// IEEE halves to floats (exact at any width): F16's to_float, and the F16 tiles' widening.
template <class V>
void widen_f16(const void* from, float* dst, int64_t n) {
  const uint16_t* src = static_cast<const uint16_t*>(from);
  int64_t i = 0;
  for (; i + V::kLanes <= n; i += V::kLanes) V::store(dst + i, V::fload(src + i));
  for (; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}

}  // namespace
}  // namespace hearth::tensor::simd
