// F32, F16 and BF16: plain element types. Matmul converts activations to the weight's type
// (as llama.cpp does), so an F16 weight meets F16-rounded activations.
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

void f32_copy_out(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, n * sizeof(float)); }
void f32_copy_in(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, n * sizeof(float)); }

// Products of floats summed in double: the scalar path is the accuracy reference.
float f32_dot(int64_t n, const void* w, const void* x) {
  const float* a = static_cast<const float*>(w);
  const float* b = static_cast<const float*>(x);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
  return static_cast<float>(sum);
}

void f16_to_f32(const void* src, float* dst, int64_t n) {
  const uint16_t* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(s[i]);
}
void f32_to_f16(const float* src, void* dst, int64_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = fp32_to_fp16(src[i]);
}
float f16_dot(int64_t n, const void* w, const void* x) {
  const uint16_t* a = static_cast<const uint16_t*>(w);
  const uint16_t* b = static_cast<const uint16_t*>(x);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(fp16_to_fp32(a[i]) * fp16_to_fp32(b[i]));
  return static_cast<float>(sum);
}

void bf16_to_f32(const void* src, float* dst, int64_t n) {
  const uint16_t* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(s[i]);
}
void f32_to_bf16(const float* src, void* dst, int64_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = fp32_to_bf16(src[i]);
}
float bf16_dot(int64_t n, const void* w, const void* x) {
  const uint16_t* a = static_cast<const uint16_t*>(w);
  const uint16_t* b = static_cast<const uint16_t*>(x);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16_to_fp32(a[i]) * bf16_to_fp32(b[i]));
  return static_cast<float>(sum);
}

}  // namespace

void register_float_types(KernelTable& t) {
  entry(t, Type::F32) = {f32_copy_out, f32_copy_in, f32_copy_in, Type::F32, f32_dot};
  entry(t, Type::F16) = {f16_to_f32, f32_to_f16, f32_to_f16, Type::F16, f16_dot};
  entry(t, Type::BF16) = {bf16_to_f32, f32_to_bf16, f32_to_bf16, Type::BF16, bf16_dot};
}

}  // namespace hearth::tensor
