// matmul (matmul.glsl) for F32 weights: the invocations stride along the row, neighbours
// reading neighbouring words.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"

void accumulate_row(uint row) {
  const uint base = row * p.k;
  for (uint i = gl_LocalInvocationID.x; i < p.k; i += WG) {
    const float wv = uintBitsToFloat(w[base + i]);
    for (uint c = 0; c < ncols; ++c) add_col(c, wv * xv(xi(c, i)));
  }
}
