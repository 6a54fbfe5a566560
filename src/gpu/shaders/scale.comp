// x[i] *= s: one invocation per element.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(push_constant) uniform Params {
  uint n;
  float s;
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i < p.n) x[i] *= p.s;
}
