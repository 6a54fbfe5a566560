// x[r * dim + c] += b[c]: one invocation per element of the rows.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Bias { float b[]; };
layout(push_constant) uniform Params {
  uint n;  // rows * dim
  uint dim;
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i < p.n) x[i] += b[i % p.dim];
}
