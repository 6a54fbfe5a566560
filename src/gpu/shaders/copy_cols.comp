// dst[r * dst_stride + c] = src[r * src_stride + src_col0 + c]: one invocation per copied
// element (splits fused q/k/v or gate/up rows).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) writeonly buffer Dst { float dst[]; };
layout(push_constant) uniform Params {
  uint rows;
  uint cols;
  uint src_stride;
  uint src_col0;
  uint dst_stride;
} p;

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i >= p.rows * p.cols) return;
  const uint r = i / p.cols, c = i % p.cols;
  dst[r * p.dst_stride + c] = src[r * p.src_stride + p.src_col0 + c];
}
