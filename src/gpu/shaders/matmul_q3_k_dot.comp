// matmul (matmul.glsl) for Q3_K weights with the integer dot product: x as Q8_K codes
// (quantize_act.comp). Super-blocks of 256 elements in 110 bytes {uint8 hmask[32]; uint8 qs[64];
// uint8 scales[12]; f16 d}: in half h, shift s, element 128h + 32s + l has the 2 bits
// (qs[32h + l] >> 2s) & 3, minus 4 unless bit 4h + s of hmask[l] is set; groups of 16 elements
// have 6-bit signed scales (tensor's codes_q3_k and unpack_q3_k_scales). With u = bits | hmask
// bit << 2 (0..7), a group adds scale * (dot(u, x) - 4 * sum(x)) to an integer sum, scaled as the
// CPU's dot, (d * d_x) * isum. Each invocation takes one (half, shift): 32 elements, two groups.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : require
#define QUANT_X 256
#include "common.glsl"
#include "matmul.glsl"
#include "matmul_k.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 8; u += WG) {
    const uint blk = u / 8, h = (u / 4) % 2, s = u % 4, b = row * nb + blk;
    const uint word = (b * 55) >> 1, off = (b & 1) * 2;  // byte b * 110 without overflowing
    const float d = read_half(word, off + 108);
    const int sc0 = q3_scale(word, off + 96, 8 * h + 2 * s), sc1 = q3_scale(word, off + 96, 8 * h + 2 * s + 1);
    uint q[8];
    for (uint j = 0; j < 8; ++j) {
      const uint bits = (read32(word, off + 32 + 32 * h + 4 * j) >> (2 * s)) & 0x03030303u;
      const uint high = (read32(word, off + 4 * j) >> (4 * h + s)) & 0x01010101u;
      q[j] = bits | (high << 2);
    }
    const uint e = blk * 256 + 128 * h + 32 * s;
    for (uint c = 0; c < ncols; ++c) {
      int dot0 = 0, dot1 = 0;
      for (uint j = 0; j < 4; ++j) {
        const uint x0 = xw(c, e + 4 * j), x1 = xw(c, e + 16 + 4 * j);
        dot0 += dot4(q[j], x0) - 4 * sum4(x0);
        dot1 += dot4(q[j + 4], x1) - 4 * sum4(x1);
      }
      add_col(c, (d * xs(c, e)) * float(sc0 * dot0 + sc1 * dot1));
    }
  }
}
