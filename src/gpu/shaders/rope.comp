// RoPE as model::rope_apply: one invocation per rotated pair of one head of one row. The table
// holds each row's cos/sin (table[r * n_rot + 2i], [.. + 2i + 1]); dimensions >= n_rot are not
// touched. `precise` keeps x0 * c - x1 * s from fusing into an fma, so the bits are the CPU's.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Table { float table[]; };
layout(push_constant) uniform Params {
  uint rows;
  uint n_heads;
  uint head_dim;
  uint n_rot;  // even, <= head_dim
  uint neox;   // pairs (i, i + n_rot/2) instead of (2i, 2i+1)
} p;

void main() {
  const uint half_rot = p.n_rot / 2;
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i >= p.rows * p.n_heads * half_rot) return;
  const uint pair = i % half_rot, rh = i / half_rot;  // rh: row * n_heads + head
  const uint r = rh / p.n_heads;
  const uint base = rh * p.head_dim;
  const uint a = base + (p.neox != 0 ? pair : 2 * pair), b = base + (p.neox != 0 ? pair + half_rot : 2 * pair + 1);
  const float c = table[r * p.n_rot + 2 * pair], s = table[r * p.n_rot + 2 * pair + 1];
  const float x0 = x[a], x1 = x[b];
  precise float y0 = x0 * c - x1 * s;
  precise float y1 = x0 * s + x1 * c;
  x[a] = y0;
  x[b] = y1;
}
