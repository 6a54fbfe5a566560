// matmul (matmul.glsl) for F16 weights, read as words of two halves (matmul_pairs.glsl). x is
// rounded to F16 first, as the CPU's F16 matmul does, so both sum the same products.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#define ROUND_X_TO_F16
#include "matmul.glsl"

vec2 unpack_pair(uint word) { return unpackHalf2x16(word); }

#include "matmul_pairs.glsl"
