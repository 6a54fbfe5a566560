// y row t = sum over the token's k choices, in order, of weight * src row row(t, j): the output
// of a mixture-of-experts layer. The choices come in ascending expert order and the sum starts
// from zero, as model::moe_ffn adds them on the CPU. One invocation per element of y.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) readonly buffer Routes { uint route[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Params {
  uint n;  // tokens * dim
  uint dim;
  uint k;       // choices per token
  uint row;     // offset of the per-choice routed-row array in route[]
  uint weight;  // offset of the per-choice weight array (float bits)
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i >= p.n) return;
  const uint t = i / p.dim, c = i - t * p.dim;
  float s = 0.0;
  for (uint j = 0; j < p.k; ++j) {
    const uint at = t * p.k + j;
    s += uintBitsToFloat(route[p.weight + at]) * src[route[p.row + at] * p.dim + c];
  }
  y[i] = s;
}
