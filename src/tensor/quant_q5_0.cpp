// Q5_0: 32 weights per block, fp16 scale, 5-bit codes offset by 16 (low nibbles in qs, fifth
// bits packed in a 32-bit qh). Dots against Q8_0.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

inline int code(const BlockQ5_0& b, uint32_t qh, int j) {
  constexpr int H = QK5_0 / 2;
  const int lo = j < H ? (b.qs[j] & 0x0f) : (b.qs[j - H] >> 4);
  return (lo | static_cast<int>(((qh >> j) & 1u) << 4)) - 16;
}

void dequantize(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ5_0*>(src);
  for (int64_t i = 0; i < n / QK5_0; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    uint32_t qh;
    std::memcpy(&qh, b[i].qh, 4);
    for (int j = 0; j < QK5_0; ++j) y[i * QK5_0 + j] = static_cast<float>(code(b[i], qh, j)) * d;
  }
}

void quantize(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_0*>(dst);
  for (int64_t i = 0; i < n / QK5_0; ++i, x += QK5_0) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < QK5_0; ++j)
      if (amax < std::fabs(x[j])) { amax = std::fabs(x[j]); max = x[j]; }
    const float d = max / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = fp32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < QK5_0 / 2; ++j) {
      const int q0 = std::min(31, static_cast<int>(x[j] * id + 16.5f));
      const int q1 = std::min(31, static_cast<int>(x[j + QK5_0 / 2] * id + 16.5f));
      b[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + QK5_0 / 2);
    }
    std::memcpy(b[i].qh, &qh, 4);
  }
}

float dot_q8_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK5_0; ++i) {
    uint32_t qh;
    std::memcpy(&qh, a[i].qh, 4);
    int s = 0;
    for (int j = 0; j < QK5_0; ++j) s += code(a[i], qh, j) * b[i].qs[j];
    sum += static_cast<float>(s) * (fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
  }
  return sum;
}

}  // namespace

void register_q5_0(KernelTable& t) { entry(t, Type::Q5_0) = {dequantize, quantize, quantize, Type::Q8_0, dot_q8_0}; }

}  // namespace hearth::tensor
