// dst row r = src row source[r] for the routed rows of a mixture-of-experts layer (rows grouped
// by expert, so each expert's matmuls read a contiguous run): one invocation per element.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) readonly buffer Routes { uint route[]; };
layout(std430, binding = 2) writeonly buffer Dst { float dst[]; };
layout(push_constant) uniform Params {
  uint n;  // routed rows * dim
  uint dim;
  uint source;  // offset of the source-token array in route[]
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i >= p.n) return;
  const uint r = i / p.dim;
  dst[i] = src[route[p.source + r] * p.dim + (i - r * p.dim)];
}
