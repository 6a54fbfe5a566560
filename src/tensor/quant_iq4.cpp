// IQ4_NL and IQ4_XS: 4-bit codes that stand for the 16 non-linear values of kIq4NlValues, times
// a scale. IQ4_NL has one fp16 scale per 32 weights and dots against Q8_0 activations; IQ4_XS
// packs 8 such sub-blocks into 256 weights with 6-bit sub-scales under one fp16 scale and dots
// against Q8_K. The quantizer reproduces llama.cpp's (without an importance matrix) operation
// for operation, so `hearth quantize` writes the same bytes.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/iq_tables.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

constexpr int kSub = 32;  // weights per scale in both formats

// ---- dequantization ---------------------------------------------------------------------------

// 32 weights from 16 bytes: low nibbles are weights 0..15, high nibbles 16..31.
inline void decode32(const uint8_t* qs, float d, float* y) {
  for (int j = 0; j < 16; ++j) {
    y[j] = d * kIq4NlValues[qs[j] & 0x0f];
    y[j + 16] = d * kIq4NlValues[qs[j] >> 4];
  }
}

void dequantize_nl(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIQ4_NL*>(src);
  for (int64_t i = 0; i < n / QK4_NL; ++i) decode32(b[i].qs, fp16_to_fp32(b[i].d), y + i * QK4_NL);
}

// The 6-bit scale of sub-block ib, minus its bias of 32.
inline int xs_sub_scale(const BlockIQ4_XS& b, int ib) {
  const int lo = (b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0f;
  const int hi = (b.scales_h >> (2 * ib)) & 0x03;
  return (lo | (hi << 4)) - 32;
}

void dequantize_xs(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIQ4_XS*>(src);
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    for (int ib = 0; ib < QK_K / kSub; ++ib)
      decode32(b[i].qs + 16 * ib, d * static_cast<float>(xs_sub_scale(b[i], ib)), y + i * QK_K + ib * kSub);
  }
}

// ---- dot products -----------------------------------------------------------------------------

// Sum of value(code) * activation over 32 weights (16 code bytes).
inline int dot32(const uint8_t* qs, const int8_t* q8) {
  int s = 0;
  for (int j = 0; j < 16; ++j) s += q8[j] * kIq4NlValues[qs[j] & 0x0f] + q8[j + 16] * kIq4NlValues[qs[j] >> 4];
  return s;
}

float dot_nl_q8_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockIQ4_NL*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK4_NL; ++i)
    sum += fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d) * static_cast<float>(dot32(a[i].qs, b[i].qs));
  return sum;
}

float dot_xs_q8_k(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockIQ4_XS*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = fp16_to_fp32(a[i].d) * b[i].d;
    for (int ib = 0; ib < QK_K / kSub; ++ib)
      sum += d * static_cast<float>(xs_sub_scale(a[i], ib)) * static_cast<float>(dot32(a[i].qs + 16 * ib, b[i].qs + kSub * ib));
  }
  return sum;
}

// ---- quantization -----------------------------------------------------------------------------

// Index of the table value nearest to x (the upper one on a tie).
int nearest_value(float x) {
  const int8_t* v = kIq4NlValues;
  if (x <= v[0]) return 0;
  if (x >= v[15]) return 15;
  int lo = 0, hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (x < v[mid]) hi = mid;
    else lo = mid;
  }
  return x - v[lo] < v[hi] - x ? lo : hi;
}

// Weighted least-squares fit of one sub-block (weights x^2) to scale * value: starts from the scale
// that maps the largest magnitude to the table's end, then tries 15 nearby inverse scales and
// keeps the best. Returns the scale; 0 for an all-zero sub-block.
float fit_sub_block(const float* x, const float* w) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kSub; ++j)
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  if (amax < 1e-15f) return 0.0f;
  constexpr int kTries = 7;
  const float v0 = kIq4NlValues[0];
  float id = 1.0f / (-max / v0);
  float sumqx = 0.0f, sumq2 = 0.0f;
  for (int j = 0; j < kSub; ++j) {
    const float q = kIq4NlValues[nearest_value(id * x[j])];
    sumqx += w[j] * q * x[j];
    sumq2 += w[j] * q * q;
  }
  float d = sumqx / sumq2;
  float best = d * sumqx;
  for (int t = -kTries; t <= kTries; ++t) {
    id = static_cast<float>(t + kIq4NlValues[0]) / max;
    sumqx = sumq2 = 0.0f;
    for (int j = 0; j < kSub; ++j) {
      const float q = kIq4NlValues[nearest_value(id * x[j])];
      sumqx += w[j] * q * x[j];
      sumq2 += w[j] * q * q;
    }
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

// Codes of 32 weights for inverse scale `id`, packed two per byte (weights j and j+16).
void encode32(const float* x, float id, uint8_t* qs) {
  for (int j = 0; j < 16; ++j)
    qs[j] = static_cast<uint8_t>(nearest_value(id * x[j]) | (nearest_value(id * x[j + 16]) << 4));
}

void quantize_nl(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockIQ4_NL*>(dst);
  float w[kSub];
  for (int64_t i = 0; i < n / QK4_NL; ++i, x += QK4_NL) {
    for (int j = 0; j < kSub; ++j) w[j] = x[j] * x[j];
    const float d = fit_sub_block(x, w);
    b[i].d = fp32_to_fp16(d);
    encode32(x, d ? 1.0f / d : 0.0f, b[i].qs);
  }
}

// Each sub-block is fitted on its own; the largest scale (with its sign) sets the block's fp16
// scale, the sub-scales are rounded to 6 bits against it and the codes chosen for the rounded
// sub-scale.
void quantize_xs(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockIQ4_XS*>(dst);
  float w[kSub], scales[QK_K / kSub];
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    float amax_scale = 0.0f, max_scale = 0.0f;
    for (int ib = 0; ib < QK_K / kSub; ++ib) {
      const float* xb = x + ib * kSub;
      for (int j = 0; j < kSub; ++j) w[j] = xb[j] * xb[j];
      scales[ib] = fit_sub_block(xb, w);
      if (std::fabs(scales[ib]) > amax_scale) {
        amax_scale = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    const float d = -max_scale / 32;
    b[i].d = fp32_to_fp16(d);
    b[i].scales_h = 0;
    std::memset(b[i].scales_l, 0, sizeof b[i].scales_l);
    const float id = d ? 1.0f / d : 0.0f;
    for (int ib = 0; ib < QK_K / kSub; ++ib) {
      const int l = std::max(-32, std::min(31, nearest_int(id * scales[ib])));
      const float dl = d * static_cast<float>(l);
      encode32(x + ib * kSub, dl ? 1.0f / dl : 0.0f, b[i].qs + 16 * ib);
      const int biased = l + 32;
      b[i].scales_l[ib / 2] |= static_cast<uint8_t>((biased & 0x0f) << (4 * (ib % 2)));
      b[i].scales_h |= static_cast<uint16_t>((biased >> 4) << (2 * ib));
    }
  }
}

}  // namespace

void register_iq4(KernelTable& t) {
  entry(t, Type::IQ4_NL) = {dequantize_nl, quantize_nl, nullptr, Type::Q8_0, dot_nl_q8_0};
  entry(t, Type::IQ4_XS) = {dequantize_xs, quantize_xs, nullptr, Type::Q8_K, dot_xs_q8_k};
}

}  // namespace hearth::tensor
