// x[i] = cap * tanh(x[i] * (1 / cap)), in the CPU's order (model.cpp's final soft-capping):
// one invocation per element.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "layer_math.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(push_constant) uniform Params {
  uint n;
  float cap;
  float inv_cap;  // 1 / cap rounded on the host, as the CPU rounds it
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i < p.n) x[i] = p.cap * safe_tanh(x[i] * p.inv_cap);
}
