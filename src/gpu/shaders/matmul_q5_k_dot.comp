// matmul (matmul.glsl) for Q5_K weights with the integer dot product: x as Q8_K codes
// (quantize_act.comp). Super-blocks of 256 elements in 176 bytes (44 words) {f16 d, dmin; uint8
// scales[12]; uint8 qh[32]; uint8 qs[128]}: Q4_K's layout (matmul_q4_k.comp) plus a fifth bit,
// bit 2c of qh[l] for element 64c + l and bit 2c + 1 for 64c + 32 + l (tensor's codes_q5_k).
// Scaled as the CPU's dot, as Q4_K: (d_x * d) * isum - (d_x * dmin) * summs, one 64-element
// chunk per invocation at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : require
#define QUANT_X 256
#include "common.glsl"
#include "matmul.glsl"
#include "matmul_k.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 4; u += WG) {
    const uint blk = u / 4, ch = u % 4;
    const uint word = (row * nb + blk) * 44;
    const vec2 dm = unpackHalf2x16(w[word]);
    const uvec2 sm_lo = scale_min(word, 2 * ch), sm_hi = scale_min(word, 2 * ch + 1);
    uint lo_q[8], hi_q[8];
    for (uint j = 0; j < 8; ++j) {
      const uint v = w[word + 12 + ch * 8 + j], qh = w[word + 4 + j] >> (2 * ch);
      lo_q[j] = (v & 0x0f0f0f0fu) | ((qh & 0x01010101u) << 4);
      hi_q[j] = ((v >> 4) & 0x0f0f0f0fu) | (((qh >> 1) & 0x01010101u) << 4);
    }
    const uint e = blk * 256 + ch * 64;
    for (uint c = 0; c < ncols; ++c) {
      int dot_lo = 0, dot_hi = 0, sum_lo = 0, sum_hi = 0;
      for (uint j = 0; j < 8; ++j) {
        const uint lo = xw(c, e + 4 * j), hi = xw(c, e + 32 + 4 * j);
        dot_lo += dot4(lo_q[j], lo);
        dot_hi += dot4(hi_q[j], hi);
        sum_lo += sum4(lo);
        sum_hi += sum4(hi);
      }
      const int isum = int(sm_lo.x) * dot_lo + int(sm_hi.x) * dot_hi;
      const int summs = int(sm_lo.y) * sum_lo + int(sm_hi.y) * sum_hi;
      const float dx = xs(c, e);
      add_col(c, (dx * dm.x) * float(isum) - (dx * dm.y) * float(summs));
    }
  }
}
