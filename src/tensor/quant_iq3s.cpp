// IQ3_S: 256 weights in 110 bytes. Every 8 weights are two points of a 512-entry grid of 4
// magnitudes each (9-bit indices: low bytes in qs, ninth bits in qh) with one sign byte, and
// every 32 weights share a 4-bit scale s giving d * (1 + 2s). Dots against Q8_K activations.
// hearth runs IQ3_S files; it does not write them (that needs an importance search).
#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/iq_tables.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

constexpr int kGroups = QK_K / 8;  // groups of 8 weights per block

// The 8 signed magnitudes of group g (0..31) of block b.
inline void group_values(const BlockIQ3_S& b, int g, int v[8]) {
  const int sub = g / 4, l = g % 4;  // 32-weight sub-block, group within it
  const uint8_t hbits = b.qh[sub];
  const int i1 = b.qs[2 * g] | (((hbits >> (2 * l)) & 1) << 8);
  const int i2 = b.qs[2 * g + 1] | (((hbits >> (2 * l + 1)) & 1) << 8);
  const uint32_t p1 = kIq3sGrid[i1], p2 = kIq3sGrid[i2];
  const uint8_t signs = b.signs[g];
  for (int j = 0; j < 4; ++j) {
    v[j] = static_cast<int>((p1 >> (8 * j)) & 0xff) * ((signs >> j) & 1 ? -1 : 1);
    v[j + 4] = static_cast<int>((p2 >> (8 * j)) & 0xff) * ((signs >> (j + 4)) & 1 ? -1 : 1);
  }
}

// The odd multiplier (1 + 2s) of sub-block ib (0..7).
inline int sub_scale(const BlockIQ3_S& b, int ib) { return 1 + 2 * ((b.scales[ib / 2] >> (4 * (ib % 2))) & 0x0f); }

void dequantize(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIQ3_S*>(src);
  int v[8];
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    for (int g = 0; g < kGroups; ++g) {
      const float dg = d * static_cast<float>(sub_scale(b[i], g / 4));
      group_values(b[i], g, v);
      for (int j = 0; j < 8; ++j) y[i * QK_K + 8 * g + j] = dg * static_cast<float>(v[j]);
    }
  }
}

float dot_q8_k(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockIQ3_S*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  float sum = 0.0f;
  int v[8];
  for (int64_t i = 0; i < n / QK_K; ++i) {
    int block = 0;
    for (int ib = 0; ib < QK_K / 32; ++ib) {
      int s = 0;
      for (int g = 4 * ib; g < 4 * ib + 4; ++g) {
        group_values(a[i], g, v);
        for (int j = 0; j < 8; ++j) s += v[j] * b[i].qs[8 * g + j];
      }
      block += s * sub_scale(a[i], ib);
    }
    sum += fp16_to_fp32(a[i].d) * b[i].d * static_cast<float>(block);
  }
  return sum;
}

}  // namespace

void register_iq3s(KernelTable& t) { entry(t, Type::IQ3_S) = {dequantize, nullptr, nullptr, Type::Q8_K, dot_q8_k}; }

}  // namespace hearth::tensor
