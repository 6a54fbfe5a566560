// matmul (matmul.glsl) for Q8_0 weights: blocks of 34 bytes {f16 d; int8 qs[32]}, element i =
// d * qs[i]. Each invocation takes a quarter block (8 elements) at a time, so rows of few blocks
// still spread over the workgroup.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 32;
  for (uint u = gl_LocalInvocationID.x; u < nb * 4; u += WG) {
    const uint blk = u / 4, q = u % 4, b = row * nb + blk;
    const uint word = (b * 17) >> 1, off = (b & 1) * 2;  // byte b * 34 without overflowing
    const float d = read_half(word, off);
    const vec4 w0 = d * vec4(bytes_i(read32(word, off + 2 + q * 8)));
    const vec4 w1 = d * vec4(bytes_i(read32(word, off + 6 + q * 8)));
    const uint e = blk * 32 + q * 8;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(w0, x4(xi(c, e))) + dot(w1, x4(xi(c, e + 4))));
  }
}
