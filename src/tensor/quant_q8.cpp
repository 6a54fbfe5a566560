// Q8_0 (weights and activations) and Q8_1 (activations for Q4_1/Q5_1): 32 int8 codes per block.
//
// Two quantizers each: the reference one (ggml's quantize_row_q8_0_ref: id = 1/d, round half
// away from zero) gives stored weight bytes; the activation one reproduces llama.cpp's x86 SIMD
// path (id = 127/amax, round half to even), which is what produced the golden logits.
#include <cmath>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

float block_amax(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < QK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

void dequantize_q8_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / QK8_0; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < QK8_0; ++j) y[i * QK8_0 + j] = static_cast<float>(b[i].qs[j]) * d;
  }
}

void quantize_q8_0_ref(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / QK8_0; ++i, x += QK8_0) {
    const float d = block_amax(x) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = fp32_to_fp16(d);
    for (int j = 0; j < QK8_0; ++j) b[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

void quantize_q8_0_act(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / QK8_0; ++i, x += QK8_0) {
    const float amax = block_amax(x);
    b[i].d = fp32_to_fp16(amax / 127.0f);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (int j = 0; j < QK8_0; ++j) b[i].qs[j] = static_cast<int8_t>(nearest_int(x[j] * id));
  }
}

float dot_q8_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ8_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK8_0; ++i) {
    int s = 0;
    for (int j = 0; j < QK8_0; ++j) s += a[i].qs[j] * b[i].qs[j];
    sum += static_cast<float>(s) * (fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
  }
  return sum;
}

void dequantize_q8_1(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ8_1*>(src);
  for (int64_t i = 0; i < n / QK8_1; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < QK8_1; ++j) y[i * QK8_1 + j] = static_cast<float>(b[i].qs[j]) * d;
  }
}

void quantize_q8_1_ref(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / QK8_1; ++i, x += QK8_1) {
    const float d = block_amax(x) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = fp32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < QK8_1; ++j) {
      b[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
      sum += b[i].qs[j];
    }
    b[i].s = fp32_to_fp16(static_cast<float>(sum) * d);
  }
}

void quantize_q8_1_act(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / QK8_1; ++i, x += QK8_1) {
    const float amax = block_amax(x);
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    b[i].d = fp32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < QK8_1; ++j) {
      b[i].qs[j] = static_cast<int8_t>(nearest_int(x[j] * id));
      sum += b[i].qs[j];
    }
    b[i].s = fp32_to_fp16(d * static_cast<float>(sum));
  }
}

}  // namespace

void register_q8(KernelTable& t) {
  entry(t, Type::Q8_0) = {dequantize_q8_0, quantize_q8_0_ref, quantize_q8_0_act, Type::Q8_0, dot_q8_0};
  // Q8_1 is an activation format only: no weight dot product.
  entry(t, Type::Q8_1) = {dequantize_q8_1, quantize_q8_1_ref, quantize_q8_1_act, Type::Q8_1, nullptr};
}

}  // namespace hearth::tensor
