// Scalar IEEE half and bfloat16 conversions. Rounding is to nearest, ties to even, as F16C's
// vcvtps2ph and ggml's reference converters do, so stored scales are bit-identical to ggml's.
#pragma once
#include <cstdint>
#include <cstring>

namespace hearth::tensor {
// Internal linkage: files built with different ISA flags include this, and one shared out-of-line
// copy (whichever the linker keeps, maybe an AVX-512 build) must not serve the others.
namespace {

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t man = h & 0x3ffu;
  if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | (man << 13));  // inf / nan
  if (exp == 0) {
    // Zero or subnormal: value = man * 2^-24, exact in float.
    const float v = static_cast<float>(man) * bits_f32(0x33800000u);
    return sign ? -v : v;
  }
  return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

inline uint16_t fp32_to_fp16(float f) {
  const uint32_t u = f32_bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a >= 0x7f800000u) return sign | (a > 0x7f800000u ? 0x7e00u : 0x7c00u);  // nan / inf
  if (a >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65536: overflow to inf
  if (a < 0x38800000u) {
    // Result is subnormal (or zero): shift the 24-bit significand into place, round half-even.
    if (a < 0x33000000u) return sign;  // below half the smallest subnormal
    const uint32_t e = a >> 23;
    const uint32_t m = (a & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) ++r;
    return sign | static_cast<uint16_t>(r);
  }
  uint32_t r = (a - 0x38000000u) >> 13;  // rebias exponent 127 -> 15
  const uint32_t rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1))) ++r;  // carry may bump the exponent: fine
  return sign | static_cast<uint16_t>(r);
}

inline float bf16_to_fp32(uint16_t h) { return bits_f32(static_cast<uint32_t>(h) << 16); }

inline uint16_t fp32_to_bf16(float f) {
  const uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 64);  // quiet nan
  return static_cast<uint16_t>((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
}

}  // namespace
}  // namespace hearth::tensor
