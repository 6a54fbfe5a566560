// y[r] = dot(W row r, x) for F32 weights: one workgroup per row, its invocations striding along
// the row (neighbours read neighbouring floats), then one workgroup sum.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Weights { float w[]; };
layout(std430, binding = 1) readonly buffer Input { float x[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params {
  uint rows;
  uint k;
} p;

void main() {
  const uint row = group_index();
  if (row >= p.rows) return;  // the whole workgroup leaves together
  const uint base = row * p.k;
  float acc = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.k; i += WG) acc += w[base + i] * x[i];
  acc = workgroup_sum(acc);
  if (gl_LocalInvocationID.x == 0) y[row] = acc;
}
