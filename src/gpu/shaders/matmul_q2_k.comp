// matmul (matmul.glsl) for Q2_K weights: super-blocks of 84 bytes {uint8 scales[16]; uint8 qs[64];
// f16 d; f16 dmin} of 16 sub-blocks of 16. Byte l of each half's 32 bytes of qs (half n = 0, 1)
// holds four 2-bit codes: bits 2j..2j+1 are element 128n + 32j + l of the super-block (l < 32),
// in sub-block s = 8n + 2j + (l >= 16), whose value is d * (scales[s] & 15) * code
// - dmin * (scales[s] >> 4). Each invocation takes one word of qs (16 elements) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 16; u += WG) {
    const uint blk = u / 16, t = u % 16, word = (row * nb + blk) * 21;
    const vec2 dm = unpackHalf2x16(w[word + 20]);  // d, dmin
    const uint n = t / 8, l = (t % 8) * 4, v = w[word + 4 + t];  // qs[4t .. 4t + 3]
    const uint e0 = blk * 256 + n * 128 + l;
    for (uint j = 0; j < 4; ++j) {
      const uint s = n * 8 + j * 2 + l / 16, sc = (w[word + s / 4] >> ((s % 4) * 8)) & 0xffu;
      const vec4 wv = dm.x * float(sc & 15u) * vec4(bytes_u((v >> (2 * j)) & 0x03030303u)) - dm.y * float(sc >> 4);
      const uint e = e0 + j * 32;
      for (uint c = 0; c < ncols; ++c) add_col(c, dot(wv, x4(xi(c, e))));
    }
  }
}
