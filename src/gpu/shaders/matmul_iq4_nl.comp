// matmul (matmul.glsl) for IQ4_NL weights: blocks of 18 bytes {f16 d; uint8 qs[16]}, element j
// (j < 16) = d * kIq4Values[qs[j] & 15], element j + 16 = d * kIq4Values[qs[j] >> 4]. Each
// invocation takes one word of qs (8 elements) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"
#include "iq4_values.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 32;
  for (uint u = gl_LocalInvocationID.x; u < nb * 4; u += WG) {
    const uint blk = u / 4, q = u % 4, b = row * nb + blk;
    const uint word = (b * 9) >> 1, off = (b & 1) * 2;  // byte b * 18 without overflowing
    const float d = read_half(word, off);
    const uint v = read32(word, off + 2 + q * 4);  // qs[4q .. 4q + 3]
    const vec4 lo = d * iq4_values(v & 0x0f0f0f0fu), hi = d * iq4_values((v >> 4) & 0x0f0f0f0fu);
    const uint e = blk * 32 + q * 4;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(lo, x4(xi(c, e))) + dot(hi, x4(xi(c, e + 16))));
  }
}
