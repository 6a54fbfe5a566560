// x[i] += y[i]: one invocation per element (the residual connection).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Y { float y[]; };
layout(push_constant) uniform Params {
  uint n;
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i < p.n) x[i] += y[i];
}
