// matmul (matmul.glsl) for Q3_K weights: super-blocks of 256 elements in 110 bytes {uint8
// hmask[32]; uint8 qs[64]; uint8 scales[12]; f16 d}: in half h, shift s, element 128h + 32s + l
// has the code (qs[32h + l] >> 2s & 3) - 4, plus 4 when bit 4h + s of hmask[l] is set; groups of
// 16 elements have 6-bit signed scales (tensor's codes_q3_k and unpack_q3_k_scales); element =
// d * scale * code. Each invocation takes one word (4 elements) of a (half, shift) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"
#include "matmul_k.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 64; u += WG) {
    const uint blk = u / 64, h = (u / 32) % 2, s = (u / 8) % 4, j = u % 8, b = row * nb + blk;
    const uint word = (b * 55) >> 1, off = (b & 1) * 2;  // byte b * 110 without overflowing
    const float dl = read_half(word, off + 108) * float(q3_scale(word, off + 96, 8 * h + 2 * s + j / 4));
    const uint bits = (read32(word, off + 32 + 32 * h + 4 * j) >> (2 * s)) & 0x03030303u;
    const uint high = (read32(word, off + 4 * j) >> (4 * h + s)) & 0x01010101u;
    const vec4 wv = dl * vec4(bytes_u(bits | (high << 2)) - 4);
    const uint e = blk * 256 + 128 * h + 32 * s + 4 * j;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(wv, x4(xi(c, e))));
  }
}
