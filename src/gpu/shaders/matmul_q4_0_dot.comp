// matmul (matmul.glsl) for Q4_0 weights with the integer dot product: x as Q8_0 codes
// (quantize_act.comp). A block's sum of (q - 8) * x is dot(q, x) - 8 * sum(x) in integers,
// scaled as the CPU's Q4_0 dot does, float(sum) * (d_w * d_x). Each invocation takes a whole
// block (32 elements) at a time: word i of qs holds elements 4i .. 4i + 3 in its low nibbles and
// 16 + 4i .. 16 + 4i + 3 in its high ones.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : require
#define QUANT_X 32
#include "common.glsl"
#include "matmul.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 32;
  for (uint blk = gl_LocalInvocationID.x; blk < nb; blk += WG) {
    const uint b = row * nb + blk;
    const uint word = (b * 9) >> 1, off = (b & 1) * 2;  // byte b * 18 without overflowing
    const float d = read_half(word, off);
    uint q[4];
    for (uint i = 0; i < 4; ++i) q[i] = read32(word, off + 2 + 4 * i);
    const uint e = blk * 32;
    for (uint c = 0; c < ncols; ++c) {
      int s = 0, sx = 0;
      for (uint i = 0; i < 4; ++i) {
        const uint lo = xw(c, e + 4 * i), hi = xw(c, e + 16 + 4 * i);
        s += dot4(q[i] & 0x0f0f0f0fu, lo) + dot4((q[i] >> 4) & 0x0f0f0f0fu, hi);
        sx += sum4(lo) + sum4(hi);
      }
      add_col(c, float(s - 8 * sx) * (d * xs(c, e)));
    }
  }
}
