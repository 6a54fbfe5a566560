// matmul (matmul.glsl) for MXFP4 weights (OCP Microscaling; gpt-oss's experts): blocks of 17
// bytes {uint8 e; uint8 qs[16]}, element j (j < 16) = 2^(e - 128) * E2M1x2[qs[j] & 15], element
// j + 16 the same with qs[j] >> 4: the E2M1 values doubled, the E8M0 scale halved, as
// tensor/quant_mxfp4.cpp. Blocks start at any byte, so qs words are read unaligned. Each
// invocation takes four bytes of qs (8 elements) at a time; x arrives rounded as Q8_0 (the CPU's
// dot operand), so both sum the same products.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"

// E2M1's 16 values times two: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives.
const float kE2M1x2[16] = float[16](0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 0.0, -1.0, -2.0, -3.0, -4.0, -6.0, -8.0, -12.0);

// 2^(e - 128), exactly (subnormal for e < 2, where a device that flushes subnormals gives 0);
// NaN for e = 255.
float half_scale(uint e) {
  if (e == 255u) return uintBitsToFloat(0x7fc00000u);
  return uintBitsToFloat(e < 2u ? 0x00200000u << e : (e - 1u) << 23);
}

// The little-endian 32 bits at any byte offset of the weights.
uint read32_at(uint byte) {
  const uint i = byte >> 2, s = (byte & 3u) * 8u;
  return s == 0u ? w[i] : (w[i] >> s) | (w[i + 1] << (32u - s));
}

vec4 e2m1(uint v) {  // the codes in bits 0-3, 8-11, 16-19 and 24-27 of v
  return vec4(kE2M1x2[v & 15u], kE2M1x2[(v >> 8) & 15u], kE2M1x2[(v >> 16) & 15u], kE2M1x2[(v >> 24) & 15u]);
}

void accumulate_row(uint row) {
  const uint nb = p.k / 32;
  for (uint u = gl_LocalInvocationID.x; u < nb * 4; u += WG) {
    const uint blk = u / 4, q = u % 4, base = (row * nb + blk) * 17u;
    const float d = half_scale(read8(base >> 2, base & 3u));
    const uint v = read32_at(base + 1u + q * 4u);  // qs[4q .. 4q + 3]
    const vec4 lo = d * e2m1(v), hi = d * e2m1(v >> 4);
    const uint e = blk * 32 + q * 4;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(lo, x4(xi(c, e))) + dot(hi, x4(xi(c, e + 16))));
  }
}
