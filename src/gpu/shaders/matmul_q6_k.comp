// matmul (matmul.glsl) for Q6_K weights: super-blocks of 256 elements in 210 bytes {uint8
// ql[128]; uint8 qh[64]; int8 scales[16]; f16 d}, element i = d * scales[i / 16] * (q - 32). In
// half h (elements 128h ..), for l < 32: ql[64h + l] low nibbles give elements l, high nibbles
// l + 64; ql[64h + 32 + l] likewise l + 32 and l + 96; qh[32h + l] bit pairs 0, 2, 4, 6 are the
// top two bits of l, l + 32, l + 64, l + 96 (tensor's codes_q6_k). Each invocation takes four
// values of l (16 elements) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"
#include "matmul_k.glsl"

// Codes q - 32 of four elements.
vec4 codes(uint lo, uint hi) { return vec4(bytes_u(q6_codes(lo, hi)) - 32); }

float scale(uint word, uint byte) { return float(q6_scale(word, byte)); }

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 16; u += WG) {
    const uint blk = u / 16, h = (u / 8) % 2, j = u % 8, b = row * nb + blk;
    const uint word = (b * 105) >> 1, off = (b & 1) * 2;  // byte b * 210 without overflowing
    const float d = read_half(word, off + 208);
    const uint ql0 = read32(word, off + 64 * h + 4 * j), ql1 = read32(word, off + 64 * h + 32 + 4 * j);
    const uint qh = read32(word, off + 128 + 32 * h + 4 * j);
    const uint sc = off + 192 + 8 * h + j / 4;  // byte of the scale of elements l = 4j .. 4j + 3
    const vec4 w0 = (d * scale(word, sc)) * codes(ql0, qh);
    const vec4 w1 = (d * scale(word, sc + 2)) * codes(ql1, qh >> 2);
    const vec4 w2 = (d * scale(word, sc + 4)) * codes(ql0 >> 4, qh >> 4);
    const vec4 w3 = (d * scale(word, sc + 6)) * codes(ql1 >> 4, qh >> 6);
    const uint e = blk * 256 + 128 * h + 4 * j;
    for (uint c = 0; c < ncols; ++c) {
      const uint i = xi(c, e);
      add_col(c, dot(w0, x4(i)) + dot(w1, x4(i + 32)) + dot(w2, x4(i + 64)) + dot(w3, x4(i + 96)));
    }
  }
}
