// K-quants: 256-weight super-blocks split into 16 or 8 sub-blocks with their own quantized
// scales (ggml's Q2_K..Q6_K). They dot against Q8_K activations (float scale, int8 codes and
// per-16 sums used for the min terms). Quantizers for Q2_K..Q6_K live in quant_k_quantize.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"
#include "tensor/quant_k.h"

namespace hearth::tensor {

void unpack_q3_k_scales(const uint8_t packed[12], int8_t out[16]) {
  // Low 4 bits: bytes 0..7 (two per byte); high 2 bits: bytes 8..11, four per byte.
  for (int j = 0; j < 16; ++j) {
    const int lo = j < 8 ? (packed[j] & 0x0f) : (packed[j - 8] >> 4);
    const int hi = (packed[8 + (j % 4)] >> (2 * (j / 4))) & 3;
    out[j] = static_cast<int8_t>((lo | (hi << 4)) - 32);
  }
}

void scale_min_k4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

namespace {

// Unpacked integer codes of one super-block, in element order.
void codes_q2_k(const BlockQ2_K& b, int8_t* out) {
  for (int half = 0; half < 2; ++half)
    for (int shift = 0; shift < 4; ++shift)
      for (int l = 0; l < 32; ++l)
        out[half * 128 + shift * 32 + l] = static_cast<int8_t>((b.qs[half * 32 + l] >> (2 * shift)) & 3);
}

void codes_q3_k(const BlockQ3_K& b, int8_t* out) {
  for (int half = 0; half < 2; ++half)
    for (int shift = 0; shift < 4; ++shift) {
      const uint8_t m = static_cast<uint8_t>(1u << (half * 4 + shift));
      for (int l = 0; l < 32; ++l) {
        const int q = (b.qs[half * 32 + l] >> (2 * shift)) & 3;
        out[half * 128 + shift * 32 + l] = static_cast<int8_t>(q - ((b.hmask[l] & m) ? 0 : 4));
      }
    }
}

void codes_q4_k(const BlockQ4_K& b, int8_t* out) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      out[c * 64 + l] = static_cast<int8_t>(b.qs[c * 32 + l] & 0x0f);
      out[c * 64 + 32 + l] = static_cast<int8_t>(b.qs[c * 32 + l] >> 4);
    }
}

void codes_q5_k(const BlockQ5_K& b, int8_t* out) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      const int h1 = (b.qh[l] >> (2 * c)) & 1, h2 = (b.qh[l] >> (2 * c + 1)) & 1;
      out[c * 64 + l] = static_cast<int8_t>((b.qs[c * 32 + l] & 0x0f) | (h1 << 4));
      out[c * 64 + 32 + l] = static_cast<int8_t>((b.qs[c * 32 + l] >> 4) | (h2 << 4));
    }
}

void codes_q6_k(const BlockQ6_K& b, int8_t* out) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + half * 64;
    const uint8_t* qh = b.qh + half * 32;
    int8_t* o = out + half * 128;
    for (int l = 0; l < 32; ++l) {
      o[l] = static_cast<int8_t>(((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32);
      o[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32);
      o[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      o[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

void dequantize_q2_k(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ2_K*>(src);
  int8_t q[QK_K];
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const float d = fp16_to_fp32(b[i].d), dmin = fp16_to_fp32(b[i].dmin);
    codes_q2_k(b[i], q);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * static_cast<float>(b[i].scales[s] & 0x0f);
      const float ml = dmin * static_cast<float>(b[i].scales[s] >> 4);
      for (int l = 0; l < 16; ++l) y[s * 16 + l] = dl * static_cast<float>(q[s * 16 + l]) - ml;
    }
  }
}

void dequantize_q3_k(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ3_K*>(src);
  int8_t q[QK_K], sc[16];
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const float d = fp16_to_fp32(b[i].d);
    codes_q3_k(b[i], q);
    unpack_q3_k_scales(b[i].scales, sc);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * static_cast<float>(sc[s]);
      for (int l = 0; l < 16; ++l) y[s * 16 + l] = dl * static_cast<float>(q[s * 16 + l]);
    }
  }
}

template <typename Block, void (*Codes)(const Block&, int8_t*)>
void dequantize_scale_min(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const Block*>(src);
  int8_t q[QK_K];
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const float d = fp16_to_fp32(b[i].d), dmin = fp16_to_fp32(b[i].dmin);
    Codes(b[i], q);
    for (int s = 0; s < 8; ++s) {
      uint8_t sc, m;
      scale_min_k4(s, b[i].scales, &sc, &m);
      const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) y[s * 32 + l] = dl * static_cast<float>(q[s * 32 + l]) - ml;
    }
  }
}

void dequantize_q6_k(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ6_K*>(src);
  int8_t q[QK_K];
  for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
    const float d = fp16_to_fp32(b[i].d);
    codes_q6_k(b[i], q);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * static_cast<float>(b[i].scales[s]);
      for (int l = 0; l < 16; ++l) y[s * 16 + l] = dl * static_cast<float>(q[s * 16 + l]);
    }
  }
}

void dequantize_q8_k(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / QK_K; ++i)
    for (int j = 0; j < QK_K; ++j) y[i * QK_K + j] = b[i].d * static_cast<float>(b[i].qs[j]);
}

// ggml's Q8_K quantizer (used for activations and as the reference): the largest-magnitude value
// maps to -127 with its sign, codes round half to even.
void quantize_q8_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < QK_K; ++j)
      if (std::fabs(x[j]) > amax) { amax = std::fabs(x[j]); max = x[j]; }
    if (amax == 0.0f) {
      std::memset(&b[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < QK_K; ++j) b[i].qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    for (int s = 0; s < QK_K / 16; ++s) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b[i].qs[s * 16 + l];
      b[i].bsums[s] = static_cast<int16_t>(sum);
    }
    b[i].d = 1.0f / iscale;
  }
}

// Sum of code*q8 over each group of `len` elements.
inline void group_dots(const int8_t* q, const int8_t* x, int len, int groups, int* out) {
  for (int g = 0; g < groups; ++g) {
    int s = 0;
    for (int l = 0; l < len; ++l) s += q[g * len + l] * x[g * len + l];
    out[g] = s;
  }
}

float dot_q2_k(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const BlockQ2_K*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float sum = 0.0f;
  int8_t q[QK_K];
  int dots[16];
  for (int64_t i = 0; i < n / QK_K; ++i) {
    codes_q2_k(a[i], q);
    group_dots(q, x[i].qs, 16, 16, dots);
    int isum = 0, summs = 0;
    for (int s = 0; s < 16; ++s) {
      isum += (a[i].scales[s] & 0x0f) * dots[s];
      summs += (a[i].scales[s] >> 4) * x[i].bsums[s];
    }
    const float dall = x[i].d * fp16_to_fp32(a[i].d);
    const float dmin = x[i].d * fp16_to_fp32(a[i].dmin);
    sum += dall * static_cast<float>(isum) - dmin * static_cast<float>(summs);
  }
  return sum;
}

float dot_q3_k(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const BlockQ3_K*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float sum = 0.0f;
  int8_t q[QK_K], sc[16];
  int dots[16];
  for (int64_t i = 0; i < n / QK_K; ++i) {
    codes_q3_k(a[i], q);
    unpack_q3_k_scales(a[i].scales, sc);
    group_dots(q, x[i].qs, 16, 16, dots);
    int isum = 0;
    for (int s = 0; s < 16; ++s) isum += sc[s] * dots[s];
    sum += fp16_to_fp32(a[i].d) * x[i].d * static_cast<float>(isum);
  }
  return sum;
}

template <typename Block, void (*Codes)(const Block&, int8_t*)>
float dot_scale_min(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const Block*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float sum = 0.0f;
  int8_t q[QK_K];
  int dots[8];
  for (int64_t i = 0; i < n / QK_K; ++i) {
    Codes(a[i], q);
    group_dots(q, x[i].qs, 32, 8, dots);
    int isum = 0, summs = 0;
    for (int s = 0; s < 8; ++s) {
      uint8_t sc, m;
      scale_min_k4(s, a[i].scales, &sc, &m);
      isum += sc * dots[s];
      summs += m * (x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);
    }
    const float d = x[i].d * fp16_to_fp32(a[i].d);
    const float dmin = x[i].d * fp16_to_fp32(a[i].dmin);
    sum += d * static_cast<float>(isum) - dmin * static_cast<float>(summs);
  }
  return sum;
}

float dot_q6_k(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const BlockQ6_K*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float sum = 0.0f;
  int8_t q[QK_K];
  int dots[16];
  for (int64_t i = 0; i < n / QK_K; ++i) {
    codes_q6_k(a[i], q);
    group_dots(q, x[i].qs, 16, 16, dots);
    int isum = 0;
    for (int s = 0; s < 16; ++s) isum += a[i].scales[s] * dots[s];
    sum += fp16_to_fp32(a[i].d) * x[i].d * static_cast<float>(isum);
  }
  return sum;
}

}  // namespace

void register_k_quants(KernelTable& t) {
  entry(t, Type::Q2_K) = {dequantize_q2_k, quantize_q2_k_ref, nullptr, Type::Q8_K, dot_q2_k};
  entry(t, Type::Q3_K) = {dequantize_q3_k, quantize_q3_k_ref, nullptr, Type::Q8_K, dot_q3_k};
  entry(t, Type::Q4_K) = {dequantize_scale_min<BlockQ4_K, codes_q4_k>, quantize_q4_k_ref, nullptr, Type::Q8_K,
                          dot_scale_min<BlockQ4_K, codes_q4_k>};
  entry(t, Type::Q5_K) = {dequantize_scale_min<BlockQ5_K, codes_q5_k>, quantize_q5_k_ref, nullptr, Type::Q8_K,
                          dot_scale_min<BlockQ5_K, codes_q5_k>};
  entry(t, Type::Q6_K) = {dequantize_q6_k, quantize_q6_k_ref, nullptr, Type::Q8_K, dot_q6_k};
  entry(t, Type::Q8_K) = {dequantize_q8_k, quantize_q8_k, quantize_q8_k, Type::Q8_K, nullptr};
}

}  // namespace hearth::tensor
