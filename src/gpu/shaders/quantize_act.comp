// The CPU's activation codes of x for the integer-dot matmuls (matmul_*_dot.comp): per block,
// its int8 codes packed four to a word (element 4i + j in byte j of word i, the layout the
// packed dot product takes) and its scale as a float:
//   kind 0: Q8_0 blocks of 32, scale amax/127 rounded to F16 (the value the CPU stores)
//   kind 1: Q8_K blocks of 256, scale 1/iscale (0 for a block of zeros)
// The codes are the ones round_act.comp multiplies back out (act_codes.glsl has both). One
// invocation per block.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "layer_math.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Codes { uint codes[]; };
layout(std430, binding = 2) writeonly buffer Scales { float scales[]; };
layout(push_constant) uniform Params {
  uint blocks;
  uint kind;
} p;
#include "act_codes.glsl"

// Four codes (integral floats in [-127, 127]) as the bytes of one word.
uint pack_codes(vec4 q) {
  const ivec4 i = ivec4(q) & 0xff;
  return uint(i.x | (i.y << 8) | (i.z << 16) | (i.w << 24));
}

void main() {
  const uint b = group_index() * WG + gl_LocalInvocationID.x;
  if (b >= p.blocks) return;
  const uint len = p.kind == 1u ? 256u : 32u;
  const uint first = b * len;
  float amax, vmax;
  block_amax(first, len, amax, vmax);
  if (p.kind == 0u) {
    const float id = q8_0_multiplier(amax);
    precise float d_exact = amax / 127.0;
    scales[b] = f16_round(d_exact);
    for (uint j = 0; j < len; j += 4) {
      const vec4 v = vec4(x[first + j], x[first + j + 1], x[first + j + 2], x[first + j + 3]);
      codes[(first + j) / 4] = pack_codes(roundEven(v * id));
    }
  } else {
    const float iscale = q8_k_multiplier(amax, vmax);
    // The CPU's 1 / (-127 / vmax): a multiplier that overflows gives a scale of -0 or +0.
    precise float raw = -127.0 / vmax;
    scales[b] = amax == 0.0 ? 0.0 : 1.0 / raw;
    for (uint j = 0; j < len; j += 4) {
      const vec4 q = vec4(q8_k_code(x[first + j], iscale), q8_k_code(x[first + j + 1], iscale),
                          q8_k_code(x[first + j + 2], iscale), q8_k_code(x[first + j + 3], iscale));
      codes[(first + j) / 4] = pack_codes(q);
    }
  }
}
