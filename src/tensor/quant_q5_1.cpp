// Q5_1: 32 weights per block, fp16 scale and minimum, 5-bit codes. Dots against Q8_1.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

inline int code(const BlockQ5_1& b, uint32_t qh, int j) {
  constexpr int H = QK5_1 / 2;
  const int lo = j < H ? (b.qs[j] & 0x0f) : (b.qs[j - H] >> 4);
  return lo | static_cast<int>(((qh >> j) & 1u) << 4);
}

void dequantize(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ5_1*>(src);
  for (int64_t i = 0; i < n / QK5_1; ++i) {
    const float d = fp16_to_fp32(b[i].d), m = fp16_to_fp32(b[i].m);
    uint32_t qh;
    std::memcpy(&qh, b[i].qh, 4);
    for (int j = 0; j < QK5_1; ++j) y[i * QK5_1 + j] = static_cast<float>(code(b[i], qh, j)) * d + m;
  }
}

void quantize(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_1*>(dst);
  for (int64_t i = 0; i < n / QK5_1; ++i, x += QK5_1) {
    float mn = x[0], mx = x[0];
    for (int j = 1; j < QK5_1; ++j) {
      mn = std::min(mn, x[j]);
      mx = std::max(mx, x[j]);
    }
    const float d = (mx - mn) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = fp32_to_fp16(d);
    b[i].m = fp32_to_fp16(mn);
    uint32_t qh = 0;
    for (int j = 0; j < QK5_1 / 2; ++j) {
      // No clamp: (x - min) * id is at most 31 + rounding, as in ggml's reference.
      const int q0 = static_cast<uint8_t>((x[j] - mn) * id + 0.5f);
      const int q1 = static_cast<uint8_t>((x[j + QK5_1 / 2] - mn) * id + 0.5f);
      b[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + QK5_1 / 2);
    }
    std::memcpy(b[i].qh, &qh, 4);
  }
}

float dot_q8_1(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_1*>(w);
  const auto* b = static_cast<const BlockQ8_1*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK5_1; ++i) {
    uint32_t qh;
    std::memcpy(&qh, a[i].qh, 4);
    int s = 0;
    for (int j = 0; j < QK5_1; ++j) s += code(a[i], qh, j) * b[i].qs[j];
    sum += static_cast<float>(s) * (fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d)) +
           fp16_to_fp32(a[i].m) * fp16_to_fp32(b[i].s);
  }
  return sum;
}

}  // namespace

void register_q5_1(KernelTable& t) { entry(t, Type::Q5_1) = {dequantize, quantize, quantize, Type::Q8_1, dot_q8_1}; }

}  // namespace hearth::tensor
