// matmul (matmul.glsl) for BF16 weights, read as words of two (matmul_pairs.glsl): a BF16 value
// is the high half of a float, so widening is a shift. x arrives rounded to BF16 already
// (round_activations, as the CPU's BF16 dot rounds it), so both sum the same products.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "matmul.glsl"

vec2 unpack_pair(uint word) {
  return vec2(uintBitsToFloat(word << 16), uintBitsToFloat(word & 0xffff0000u));
}

#include "matmul_pairs.glsl"
