// matmul (matmul.glsl) for Q5_0 weights: blocks of 22 bytes {f16 d; uint8 qh[4]; uint8 qs[16]},
// element j (j < 16) = d * ((qs[j] & 15 | bit j of qh << 4) - 16), element j + 16 the same with
// qs[j] >> 4 and bit j + 16. Each invocation takes one word of qs (8 elements) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 32;
  for (uint u = gl_LocalInvocationID.x; u < nb * 4; u += WG) {
    const uint blk = u / 4, q = u % 4, b = row * nb + blk;
    const uint word = (b * 11) >> 1, off = (b & 1) * 2;  // byte b * 22 without overflowing
    const float d = read_half(word, off);
    const uint qh = read32(word, off + 2), v = read32(word, off + 6 + q * 4);
    const vec4 lo = d * vec4((bytes_u(v & 0x0f0f0f0fu) | fifth_bits(qh >> (q * 4))) - 16);
    const vec4 hi = d * vec4((bytes_u((v >> 4) & 0x0f0f0f0fu) | fifth_bits(qh >> (q * 4 + 16))) - 16);
    const uint e = blk * 32 + q * 4;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(lo, x4(xi(c, e))) + dot(hi, x4(xi(c, e + 16))));
  }
}
