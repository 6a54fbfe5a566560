// matmul (matmul.glsl) for Q5_K weights: super-blocks of 256 elements in 176 bytes (44 words)
// {f16 d, dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]}: Q4_K's layout (matmul_q4_k.comp)
// plus a fifth bit, bit 2c of qh[l] for element 64c + l and bit 2c + 1 for 64c + 32 + l
// (tensor's codes_q5_k); element = d * scale * q - dmin * min, multiplied in the CPU's order.
// Each invocation takes one word of qs (8 elements) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"
#include "matmul_k.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 32; u += WG) {
    const uint blk = u / 32, j = u % 32, ch = j / 8;  // qs bytes 4j .. 4j + 3 are in chunk ch
    const uint word = (row * nb + blk) * 44;
    const vec2 dm = unpackHalf2x16(w[word]);
    const uvec2 sm_lo = scale_min(word, 2 * ch), sm_hi = scale_min(word, 2 * ch + 1);
    const uint v = w[word + 12 + j], qh = w[word + 4 + j % 8] >> (2 * ch);
    const uint q_lo = (v & 0x0f0f0f0fu) | ((qh & 0x01010101u) << 4);
    const uint q_hi = ((v >> 4) & 0x0f0f0f0fu) | (((qh >> 1) & 0x01010101u) << 4);
    const vec4 lo = (dm.x * float(sm_lo.x)) * vec4(bytes_u(q_lo)) - dm.y * float(sm_lo.y);
    const vec4 hi = (dm.x * float(sm_hi.x)) * vec4(bytes_u(q_hi)) - dm.y * float(sm_hi.y);
    const uint e = blk * 256 + ch * 64 + (j % 8) * 4;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(lo, x4(xi(c, e))) + dot(hi, x4(xi(c, e + 32))));
  }
}
