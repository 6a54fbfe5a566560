// y = x / sqrt(mean(x^2) + eps) * w for each row of n floats: one workgroup per row. The CPU
// sums the squares in double; a tree of float partial sums stays within float rounding of it.
// y may be x (each invocation rewrites only the elements it read).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Scale { float w[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params {
  uint n;
  uint rows;
  float eps;
  uint has_w;  // 0: no scale (w is bound to anything)
} p;

void main() {
  const uint row = group_index();
  if (row >= p.rows) return;
  const uint base = row * p.n;
  float ss = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) ss += x[base + i] * x[base + i];
  ss = workgroup_sum(ss);
  const float scale = 1.0 / sqrt(ss / float(p.n) + p.eps);
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) {
    const float v = x[base + i] * scale;  // multiplied in the CPU's order: x * scale * w
    y[base + i] = p.has_w != 0 ? v * w[i] : v;
  }
}
