// x row r += bias row expert[r]: a per-expert bias (gpt-oss) over the routed rows of a
// mixture-of-experts layer, one invocation per element.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Bias { float b[]; };
layout(std430, binding = 2) readonly buffer Routes { uint route[]; };
layout(push_constant) uniform Params {
  uint n;  // routed rows * dim
  uint dim;
  uint expert;  // offset of the per-row expert array in route[]
  uint experts;  // rows in b[]: an expert index past them is a bad routing, not a read past b
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i >= p.n) return;
  const uint r = i / p.dim;
  const uint e = route[p.expert + r];
  if (e < p.experts) x[i] += b[e * p.dim + (i - r * p.dim)];
}
