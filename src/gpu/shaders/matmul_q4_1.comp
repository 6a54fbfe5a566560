// matmul (matmul.glsl) for Q4_1 weights: blocks of 20 bytes {f16 d; f16 m; uint8 qs[16]},
// element j (j < 16) = d * (qs[j] & 15) + m, element j + 16 = d * (qs[j] >> 4) + m. Each
// invocation takes one word of qs (8 elements) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 32;
  for (uint u = gl_LocalInvocationID.x; u < nb * 4; u += WG) {
    const uint blk = u / 4, q = u % 4, word = (row * nb + blk) * 5;
    const vec2 dm = unpackHalf2x16(w[word]);
    const uint v = w[word + 1 + q];  // qs[4q .. 4q + 3]
    const vec4 lo = dm.x * vec4(bytes_u(v & 0x0f0f0f0fu)) + dm.y;
    const vec4 hi = dm.x * vec4(bytes_u((v >> 4) & 0x0f0f0f0fu)) + dm.y;
    const uint e = blk * 32 + q * 4;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(lo, x4(xi(c, e))) + dot(hi, x4(xi(c, e + 16))));
  }
}
