// matmul (matmul.glsl) for Q6_K weights with the integer dot product: x as Q8_K codes
// (quantize_act.comp). Each group of 16 elements adds scale * (dot(q, x) - 32 * sum(x)) to an
// integer sum, scaled as the CPU's dot, (d * d_x) * isum. Each invocation takes four values of l
// (16 elements, four groups) at a time (matmul_q6_k.comp has the block layout).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : require
#define QUANT_X 256
#include "common.glsl"
#include "matmul.glsl"
#include "matmul_k.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 16; u += WG) {
    const uint blk = u / 16, h = (u / 8) % 2, j = u % 8, b = row * nb + blk;
    const uint word = (b * 105) >> 1, off = (b & 1) * 2;  // byte b * 210 without overflowing
    const float d = read_half(word, off + 208);
    const uint ql0 = read32(word, off + 64 * h + 4 * j), ql1 = read32(word, off + 64 * h + 32 + 4 * j);
    const uint qh = read32(word, off + 128 + 32 * h + 4 * j);
    const uint sc = off + 192 + 8 * h + j / 4;  // byte of the scale of elements l = 4j .. 4j + 3
    const uint q0 = q6_codes(ql0, qh), q1 = q6_codes(ql1, qh >> 2);
    const uint q2 = q6_codes(ql0 >> 4, qh >> 4), q3 = q6_codes(ql1 >> 4, qh >> 6);
    const int s0 = q6_scale(word, sc), s1 = q6_scale(word, sc + 2);
    const int s2 = q6_scale(word, sc + 4), s3 = q6_scale(word, sc + 6);
    const uint e = blk * 256 + 128 * h + 4 * j;
    for (uint c = 0; c < ncols; ++c) {
      const uint x0 = xw(c, e), x1 = xw(c, e + 32), x2 = xw(c, e + 64), x3 = xw(c, e + 96);
      const int isum = s0 * (dot4(q0, x0) - 32 * sum4(x0)) + s1 * (dot4(q1, x1) - 32 * sum4(x1)) +
                       s2 * (dot4(q2, x2) - 32 * sum4(x2)) + s3 * (dot4(q3, x3) - 32 * sum4(x3));
      add_col(c, (d * xs(c, e)) * float(isum));
    }
  }
}
