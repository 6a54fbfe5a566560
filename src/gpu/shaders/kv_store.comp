// Rows of keys or values into the cache: F32 copies one element per invocation; F16 writes one
// 32-bit word (two halves, rounded to nearest even as the CPU's converter) per invocation, so no
// two invocations share a word (rows have an even length).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "layer_math.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) writeonly buffer Cache { uint cache[]; };
layout(push_constant) uniform Params {
  uint src_row0;
  uint pos0;
  uint rows;
  uint dim;  // elements per row
  uint f16;  // 1: F16 cache
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (p.f16 == 0) {
    if (i >= p.rows * p.dim) return;
    const uint r = i / p.dim, c = i % p.dim;
    cache[(p.pos0 + r) * p.dim + c] = floatBitsToUint(src[(p.src_row0 + r) * p.dim + c]);
    return;
  }
  const uint words = p.dim / 2;
  if (i >= p.rows * words) return;
  const uint r = i / words, w = i % words;
  const uint s = (p.src_row0 + r) * p.dim + 2 * w;
  cache[(p.pos0 + r) * words + w] = f16_bits(src[s]) | (f16_bits(src[s + 1]) << 16);
}
