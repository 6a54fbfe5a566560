// matmul (matmul.glsl) for Q4_K weights with the integer dot product: x as Q8_K codes
// (quantize_act.comp). For each 64-element chunk of a super-block (sub-blocks 2ch and 2ch + 1,
// the low and high nibbles of qs bytes 32ch ..) the sums of scale * dot(q, x) and min * sum(x)
// are integers, scaled as the CPU's dot: (d_x * d) * isum - (d_x * dmin) * summs. Each
// invocation takes a chunk at a time (matmul_q4_k.comp has the block layout).
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
    const uint word = (row * nb + blk) * 36;
    const vec2 dm = unpackHalf2x16(w[word]);
    const uvec2 sm_lo = scale_min(word, 2 * ch), sm_hi = scale_min(word, 2 * ch + 1);
    uint q[8];
    for (uint j = 0; j < 8; ++j) q[j] = w[word + 4 + ch * 8 + j];
    const uint e = blk * 256 + ch * 64;
    for (uint c = 0; c < ncols; ++c) {
      int dot_lo = 0, dot_hi = 0, sum_lo = 0, sum_hi = 0;
      for (uint j = 0; j < 8; ++j) {
        const uint lo = xw(c, e + 4 * j), hi = xw(c, e + 32 + 4 * j);
        dot_lo += dot4(q[j] & 0x0f0f0f0fu, lo);
        dot_hi += dot4((q[j] >> 4) & 0x0f0f0f0fu, hi);
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
