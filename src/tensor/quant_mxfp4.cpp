// MXFP4 (OCP Microscaling Formats v1.0): 32 E2M1 elements sharing one E8M0 scale. An element is
// sign, 2 exponent bits, 1 mantissa bit: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives; the scale
// is 2^(e - 127) (e = 255 is NaN). The table holds the element values doubled, so the scale is
// halved: value = kE2M1Doubled[code] * 2^(e - 128). Dots against Q8_0 activations, as llama.cpp.
// hearth runs MXFP4 tensors (gpt-oss experts); it does not write them.
#include <cmath>
#include <cstring>
#include <limits>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/iq_tables.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

// 2^(e - 128): half the E8M0 scale, exactly, for every e (subnormal for e < 2). NaN for e = 255.
inline float half_scale(uint8_t e) {
  if (e == 0xff) return std::numeric_limits<float>::quiet_NaN();
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

void dequantize(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockMXFP4*>(src);
  for (int64_t i = 0; i < n / QK_MXFP4; ++i) {
    const float d = half_scale(b[i].e);
    for (int j = 0; j < QK_MXFP4 / 2; ++j) {
      y[i * QK_MXFP4 + j] = d * kE2M1Doubled[b[i].qs[j] & 0x0f];
      y[i * QK_MXFP4 + j + 16] = d * kE2M1Doubled[b[i].qs[j] >> 4];
    }
  }
}

float dot_q8_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockMXFP4*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_MXFP4; ++i) {
    int s = 0;
    for (int j = 0; j < 16; ++j)
      s += b[i].qs[j] * kE2M1Doubled[a[i].qs[j] & 0x0f] + b[i].qs[j + 16] * kE2M1Doubled[a[i].qs[j] >> 4];
    sum += fp16_to_fp32(b[i].d) * half_scale(a[i].e) * static_cast<float>(s);
  }
  return sum;
}

}  // namespace

void register_mxfp4(KernelTable& t) { entry(t, Type::MXFP4) = {dequantize, nullptr, nullptr, Type::Q8_0, dot_q8_0}; }

}  // namespace hearth::tensor
