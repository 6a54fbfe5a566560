// SIMD dot products for IQ4_NL, IQ4_XS, IQ3_S and MXFP4: one source, included by
// quant_iq_avx2.cpp, quant_iq_avx512.cpp and quant_iq_avx512vnni.cpp, so it is compiled once per
// tier with that tier's flags (internal linkage: an inline function shared by name across those
// files could be merged into the copy built for the widest tier). With VNNI the byte products are
// vpdpbusd on 256-bit vectors.
//
// Integer sums are exact on every tier. For the 256-weight types the float expression per
// sub-block is the scalar reference's, in its order and without FMA contraction, so results are
// bit-identical to it; the 32-weight types accumulate in lanes (within the tests' tolerance).
#pragma once
#include <immintrin.h>

#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/iq_tables.h"
#include "tensor/kernels.h"
#include "tensor/simd_avx.h"

namespace hearth::tensor::iq_simd {
namespace {

// 16 code bytes -> 32 values through a 16-entry byte table (low nibbles first, then high).
inline __m256i lookup32(const uint8_t* qs, __m256i table) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(0x0f));
  return _mm256_shuffle_epi8(table, nib);
}

inline __m256i table16(const int8_t* values) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(values)));
}

inline float iq4_nl_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockIQ4_NL*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  const __m256i table = table16(kIq4NlValues);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK4_NL; ++i) {
    const __m256i qa = lookup32(a[i].qs, table);
    const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs));
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(simd::dot_i8(qa, qb)), acc);
  }
  return simd::hsum256(acc);
}

// E8M0 halved: 2^(e - 128) (NaN for e = 255), as quant_mxfp4.cpp.
inline float mxfp4_half_scale(uint8_t e) {
  if (e == 0xff) return __builtin_nanf("");
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float mxfp4_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockMXFP4*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  const __m256i table = table16(kE2M1Doubled);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK_MXFP4; ++i) {
    const __m256i qa = lookup32(a[i].qs, table);
    const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs));
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(b[i].d) * mxfp4_half_scale(a[i].e));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(simd::dot_i8(qa, qb)), acc);
  }
  return simd::hsum256(acc);
}

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

inline float iq4_xs_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockIQ4_XS*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  const __m256i table = table16(kIq4NlValues);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    const float d = fp16_to_fp32(a[i].d) * b[i].d;
    for (int ib = 0; ib < QK_K / 32; ++ib) {
      const __m256i qa = lookup32(a[i].qs + 16 * ib, table);
      const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs + 32 * ib));
      const int lo = (a[i].scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0f, hi = (a[i].scales_h >> (2 * ib)) & 0x03;
      const int scale = (lo | (hi << 4)) - 32;
      sum += d * static_cast<float>(scale) * static_cast<float>(simd::hsum256_i32(simd::dot_i8(qa, qb)));
    }
  }
  return sum;
}

// Signs of IQ3_S: byte j of the result is -1 when bit j of the 8-bit sign field is set, for the
// 4 sign bytes of 32 weights (one per group of 8).
inline __m256i iq3s_signs(const uint8_t* s4) { return simd::bit_mask32(s4); }  // 0xff where negative

inline float iq3_s_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockIQ3_S*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    int block = 0;
    for (int ib = 0; ib < QK_K / 32; ++ib) {
      // 8 grid points (2 per group of 8 weights), 4 magnitudes each.
      const uint8_t* qs = a[i].qs + 8 * ib;
      const int hbits = a[i].qh[ib];
      const __m256i mag = _mm256_set_epi32(
          static_cast<int>(kIq3sGrid[qs[7] | ((hbits << 1) & 256)]), static_cast<int>(kIq3sGrid[qs[6] | ((hbits << 2) & 256)]),
          static_cast<int>(kIq3sGrid[qs[5] | ((hbits << 3) & 256)]), static_cast<int>(kIq3sGrid[qs[4] | ((hbits << 4) & 256)]),
          static_cast<int>(kIq3sGrid[qs[3] | ((hbits << 5) & 256)]), static_cast<int>(kIq3sGrid[qs[2] | ((hbits << 6) & 256)]),
          static_cast<int>(kIq3sGrid[qs[1] | ((hbits << 7) & 256)]), static_cast<int>(kIq3sGrid[qs[0] | ((hbits << 8) & 256)]));
      const __m256i neg = iq3s_signs(a[i].signs + 4 * ib);
      // Negate where the sign bit is set: (m ^ neg) - neg.
      const __m256i qa = _mm256_sub_epi8(_mm256_xor_si256(mag, neg), neg);
      const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs + 32 * ib));
      const int scale = 1 + 2 * ((a[i].scales[ib / 2] >> (4 * (ib % 2))) & 0x0f);
      block += simd::hsum256_i32(simd::dot_i8(qa, qb)) * scale;
    }
    sum += fp16_to_fp32(a[i].d) * b[i].d * static_cast<float>(block);
  }
  return sum;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

// The table entries each tier's copy provides.
inline void fill(KernelTable& t) {
  entry(t, Type::IQ4_NL).vec_dot = iq4_nl_dot;
  entry(t, Type::IQ4_XS).vec_dot = iq4_xs_dot;
  entry(t, Type::IQ3_S).vec_dot = iq3_s_dot;
  entry(t, Type::MXFP4).vec_dot = mxfp4_dot;
}

}  // namespace
}  // namespace hearth::tensor::iq_simd
