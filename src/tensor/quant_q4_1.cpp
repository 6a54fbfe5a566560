// Q4_1: 32 weights per block, fp16 scale and minimum, 4-bit codes. Dots against Q8_1.
#include <algorithm>
#include <cmath>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

void dequantize(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / QK4_1; ++i) {
    const float d = fp16_to_fp32(b[i].d), m = fp16_to_fp32(b[i].m);
    for (int j = 0; j < QK4_1 / 2; ++j) {
      y[i * QK4_1 + j] = static_cast<float>(b[i].qs[j] & 0x0f) * d + m;
      y[i * QK4_1 + j + QK4_1 / 2] = static_cast<float>(b[i].qs[j] >> 4) * d + m;
    }
  }
}

void quantize(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_1*>(dst);
  for (int64_t i = 0; i < n / QK4_1; ++i, x += QK4_1) {
    float mn = x[0], mx = x[0];
    for (int j = 1; j < QK4_1; ++j) {
      mn = std::min(mn, x[j]);
      mx = std::max(mx, x[j]);
    }
    const float d = (mx - mn) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = fp32_to_fp16(d);
    b[i].m = fp32_to_fp16(mn);
    for (int j = 0; j < QK4_1 / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>((x[j] - mn) * id + 0.5f));
      const int q1 = std::min(15, static_cast<int>((x[j + QK4_1 / 2] - mn) * id + 0.5f));
      b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

float dot_q8_1(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_1*>(w);
  const auto* b = static_cast<const BlockQ8_1*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK4_1; ++i) {
    int s = 0;
    for (int j = 0; j < QK4_1 / 2; ++j) {
      s += (a[i].qs[j] & 0x0f) * b[i].qs[j];
      s += (a[i].qs[j] >> 4) * b[i].qs[j + QK4_1 / 2];
    }
    sum += static_cast<float>(s) * (fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d)) +
           fp16_to_fp32(a[i].m) * fp16_to_fp32(b[i].s);
  }
  return sum;
}

}  // namespace

void register_q4_1(KernelTable& t) { entry(t, Type::Q4_1) = {dequantize, quantize, quantize, Type::Q8_1, dot_q8_1}; }

}  // namespace hearth::tensor
