// matmul (matmul.glsl) for IQ4_XS weights: super-blocks of 136 bytes {f16 d; uint16 scales_h;
// uint8 scales_l[4]; uint8 qs[128]} of 8 sub-blocks of 32. Sub-block ib has the 6-bit scale
// ls = (scales_l[ib / 2] >> 4 * (ib % 2) & 15) | (scales_h >> 2 * ib & 3) << 4 and element j of it
// (j < 16) = d * (ls - 32) * kIq4Values[qs[16 ib + j] & 15], element j + 16 the same with
// qs[16 ib + j] >> 4. Each invocation takes one word of a sub-block's codes (8 elements) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"
#include "iq4_values.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 32; u += WG) {
    const uint blk = u / 32, ib = (u / 4) % 8, q = u % 4, word = (row * nb + blk) * 34;
    const uint head = w[word];  // d, scales_h
    const uint ls = ((w[word + 1] >> ((ib / 2) * 8 + (ib % 2) * 4)) & 15u) | (((head >> (16 + 2 * ib)) & 3u) << 4);
    const float dl = unpackHalf2x16(head).x * float(int(ls) - 32);
    const uint v = w[word + 2 + ib * 4 + q];
    const vec4 lo = dl * iq4_values(v & 0x0f0f0f0fu), hi = dl * iq4_values((v >> 4) & 0x0f0f0f0fu);
    const uint e = blk * 256 + ib * 32 + q * 4;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(lo, x4(xi(c, e))) + dot(hi, x4(xi(c, e + 16))));
  }
}
