// y[r] = dot(W row r, x) for F16 weights. The weights are read as 32-bit words of two halves
// (no 16-bit storage feature needed); a row of odd length starts or ends mid-word, so the halves
// outside the row are skipped. x is rounded to F16 first, as the CPU's F16 matmul does, so both
// sum the same products.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Weights { uint w[]; };
layout(std430, binding = 1) readonly buffer Input { float x[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
layout(push_constant) uniform Params {
  uint rows;
  uint k;
} p;

float x16(uint i) { return unpackHalf2x16(packHalf2x16(vec2(x[i], 0.0))).x; }

void main() {
  const uint row = group_index();
  if (row >= p.rows) return;
  const uint first = row * p.k, end = first + p.k;  // element range of the row
  float acc = 0.0;
  for (uint wi = first / 2 + gl_LocalInvocationID.x; wi * 2 < end; wi += WG) {
    const vec2 h = unpackHalf2x16(w[wi]);
    const uint e = wi * 2;
    if (e >= first) acc += h.x * x16(e - first);
    if (e + 1 < end) acc += h.y * x16(e + 1 - first);
  }
  acc = workgroup_sum(acc);
  if (gl_LocalInvocationID.x == 0) y[row] = acc;
}
