// matmul (matmul.glsl) for Q8_0 weights with the integer dot product: x as Q8_0 codes
// (quantize_act.comp), each block's codes dotted in integers and scaled as the CPU's dot_q8_0
// does, float(sum) * (d_w * d_x). Each invocation takes a whole block (32 elements) at a time.
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
    const uint word = (b * 17) >> 1, off = (b & 1) * 2;  // byte b * 34 without overflowing
    const float d = read_half(word, off);
    uint q[8];
    for (uint i = 0; i < 8; ++i) q[i] = read32(word, off + 2 + 4 * i);
    const uint e = blk * 32;
    for (uint c = 0; c < ncols; ++c) {
      int s = 0;
      for (uint i = 0; i < 8; ++i) s += dot4(q[i], xw(c, e + 4 * i));
      add_col(c, float(s) * (d * xs(c, e)));
    }
  }
}
