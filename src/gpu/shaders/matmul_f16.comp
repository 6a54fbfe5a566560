// matmul (matmul.glsl) for F16 weights, read as words of two halves; a row of odd length starts
// or ends mid-word, so the half outside the row weighs 0 (and its x index is not read). x is
// rounded to F16 first, as the CPU's F16 matmul does, so both sum the same products.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#define ROUND_X_TO_F16
#include "matmul.glsl"

void accumulate_row(uint row) {
  const uint first = row * p.k, end = first + p.k;  // element range of the row
  for (uint wi = first / 2 + gl_LocalInvocationID.x; wi * 2 < end; wi += WG) {
    const vec2 h = unpackHalf2x16(w[wi]);
    const uint e = wi * 2;
    const bool lo = e >= first, hi = e + 1 < end;
    for (uint c = 0; c < ncols; ++c) {
      float v = 0.0;
      if (lo) v += h.x * xv(xi(c, e - first));
      if (hi) v += h.y * xv(xi(c, e + 1 - first));
      add_col(c, v);
    }
  }
}
