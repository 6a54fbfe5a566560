// matmul (matmul.glsl) for Q4_K weights: super-blocks of 256 elements in 144 bytes (36 words)
// {f16 d, dmin; uint8 scales[12]; uint8 qs[128]}: 8 sub-blocks of 32 with 6-bit scales and mins
// packed into scales (tensor's scale_min_k4). qs byte 32c + l holds element 64c + l in its low
// nibble (sub-block 2c) and 64c + 32 + l in its high nibble (sub-block 2c + 1); element =
// d * scale * q - dmin * min, multiplied in the CPU's order. Each invocation takes one word of
// qs (8 elements) at a time.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"
#include "matmul_k.glsl"

void accumulate_row(uint row) {
  const uint nb = p.k / 256;
  for (uint u = gl_LocalInvocationID.x; u < nb * 32; u += WG) {
    const uint blk = u / 32, j = u % 32, ch = j / 8;  // qs bytes 4j .. 4j + 3 are in chunk ch
    const uint word = (row * nb + blk) * 36;
    const vec2 dm = unpackHalf2x16(w[word]);
    const uvec2 sm_lo = scale_min(word, 2 * ch), sm_hi = scale_min(word, 2 * ch + 1);
    const uint v = w[word + 4 + j];
    const vec4 lo = (dm.x * float(sm_lo.x)) * vec4(bytes_u(v & 0x0f0f0f0fu)) - dm.y * float(sm_lo.y);
    const vec4 hi = (dm.x * float(sm_hi.x)) * vec4(bytes_u((v >> 4) & 0x0f0f0f0fu)) - dm.y * float(sm_hi.y);
    const uint e = blk * 256 + ch * 64 + (j % 8) * 4;
    for (uint c = 0; c < ncols; ++c) add_col(c, dot(lo, x4(xi(c, e))) + dot(hi, x4(xi(c, e + 32))));
  }
}
