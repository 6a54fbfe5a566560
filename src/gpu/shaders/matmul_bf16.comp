// matmul (matmul.glsl) for BF16 weights, read as words of two: a BF16 value is the high half of a
// float, so widening is a shift. As for F16, a row of odd length starts or ends mid-word and the
// half outside the row weighs 0 (its x index is not read). x arrives rounded to BF16 already
// (round_activations, as the CPU's BF16 dot rounds it), so both sum the same products.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"

void accumulate_row(uint row) {
  const uint first = row * p.k, end = first + p.k;  // element range of the row
  for (uint wi = first / 2 + gl_LocalInvocationID.x; wi * 2 < end; wi += WG) {
    const uint word = w[wi];
    const float lo_w = uintBitsToFloat(word << 16), hi_w = uintBitsToFloat(word & 0xffff0000u);
    const uint e = wi * 2;
    const bool lo = e >= first, hi = e + 1 < end;
    for (uint c = 0; c < ncols; ++c) {
      float v = 0.0;
      if (lo) v += lo_w * xv(xi(c, e - first));
      if (hi) v += hi_w * xv(xi(c, e + 1 - first));
      add_col(c, v);
    }
  }
}
