// ggml's block layouts (byte-for-byte; fp16 fields are raw uint16 bit patterns).
#pragma once
#include <cstdint>
#include <cstring>

#include "tensor/types.h"

namespace hearth::tensor {

struct BlockQ4_0 { uint16_t d; uint8_t qs[QK4_0 / 2]; };
struct BlockQ4_1 { uint16_t d, m; uint8_t qs[QK4_1 / 2]; };
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[QK5_0 / 2]; };
struct BlockQ5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK5_1 / 2]; };
struct BlockQ8_0 { uint16_t d; int8_t qs[QK8_0]; };
struct BlockQ8_1 { uint16_t d, s; int8_t qs[QK8_1]; };  // s = d * sum(qs)

struct BlockQ2_K { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; uint16_t d, dmin; };
struct BlockQ3_K { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; uint16_t d; };
struct BlockQ4_K { uint16_t d, dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qs[QK_K / 2]; };
struct BlockQ5_K { uint16_t d, dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; };
struct BlockQ6_K { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; };
struct BlockQ8_K { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; };

// Non-linear formats (iq_tables.h has their value tables).
constexpr int QK4_NL = 32, QK_MXFP4 = 32;
struct BlockIQ4_NL { uint16_t d; uint8_t qs[QK4_NL / 2]; };
// 8 sub-blocks of 32, each with a 6-bit scale: low 4 bits in scales_l (two per byte), high 2
// bits in scales_h (two per sub-block).
struct BlockIQ4_XS { uint16_t d; uint16_t scales_h; uint8_t scales_l[QK_K / 64]; uint8_t qs[QK_K / 2]; };
// 32 groups of 8 weights: two 9-bit grid indices each (low bytes in qs, 9th bits in qh, one qh
// byte per 32 weights), one sign byte each, and a 4-bit scale per 32 weights (two per byte).
struct BlockIQ3_S {
  uint16_t d;
  uint8_t qs[QK_K / 4];
  uint8_t qh[QK_K / 32];
  uint8_t signs[QK_K / 8];
  uint8_t scales[QK_K / 64];
};
// OCP MXFP4: an E8M0 shared exponent and 32 E2M1 codes, two per byte (first half low nibbles).
struct BlockMXFP4 { uint8_t e; uint8_t qs[QK_MXFP4 / 2]; };
static_assert(sizeof(BlockIQ4_NL) == 18 && sizeof(BlockIQ4_XS) == 136 && sizeof(BlockIQ3_S) == 110);
static_assert(sizeof(BlockMXFP4) == 17);

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// Round to nearest, ties to even, exact for |x| < 2^22: adding 1.5 * 2^23 leaves the rounded
// integer in the low mantissa bits. Same results as ggml's nearest_int for every input, inline
// (no libm call on baseline x86-64) and free of float-to-int overflow for huge inputs. Internal
// linkage for the reason fp16.h gives.
namespace {
inline int nearest_int(float x) {
  const float v = x + 12582912.0f;
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return static_cast<int>(bits & 0x007fffffu) - 0x00400000;
}
}  // namespace

}  // namespace hearth::tensor
