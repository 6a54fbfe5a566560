// gate[i] = act(gate[i]) * up[i], one invocation per element, each activation in the CPU's
// order of operations (tensor/vec.cpp, model/moe.cpp).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "layer_math.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) buffer Gate { float gate[]; };
layout(std430, binding = 1) readonly buffer Up { float up[]; };
layout(push_constant) uniform Params {
  uint n;
  uint kind;  // 0 silu, 1 gelu_f16, 2 swiglu_oai (gpu::Glu)
} p;

// GELU's tanh form as the CPU's F16 table holds it: of the input rounded to F16, in the CPU's
// order of operations (precise: no fused multiply-adds), the result rounded to F16; exact outside
// [-10, 10]. For negative inputs 1 + tanh(z) cancels on the CPU too: safe_tanh rounds tanh onto
// the same float grid, so both lose the same bits.
float gelu_f16(float x) {
  if (x <= -10.0) return 0.0;
  if (x >= 10.0) return x;
  const float h = f16_round(x);
  precise float z = 0.79788456080286535587989211986876 * h * (1.0 + 0.044715 * h * h);
  precise float g = 0.5 * h * (1.0 + safe_tanh(z));
  return f16_round(g);
}

void main() {
  const uint i = group_index() * WG + gl_LocalInvocationID.x;
  if (i >= p.n) return;
  const float g = gate[i], u = up[i];
  if (p.kind == 0) {
    gate[i] = g / (1.0 + exp(-g)) * u;
  } else if (p.kind == 1) {
    gate[i] = gelu_f16(g) * u;
  } else {
    const float gc = min(g, 7.0), uc = clamp(u, -7.0, 7.0);  // gpt-oss's limits
    gate[i] = (uc + 1.0) * gc / (1.0 + exp(-1.702 * gc));
  }
}
