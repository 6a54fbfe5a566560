// y = x rounded as the CPU's matmul rounds its activations before a dot with quantized weights,
// so the GPU's float dot with the dequantized weights sums the same products:
//   kind 0: Q8_0/Q8_1 blocks of 32 (code = round-half-even(x * 127/amax), scale amax/127 as F16)
//   kind 1: Q8_K blocks of 256 (the largest-magnitude value maps to -127, scale 1/iscale in float)
//   kind 2: BF16 (round to nearest even), one element per "block"
//   kind 3: Q8_1, as kind 0, and s[block] = the error of the block's sum: Q8_1 stores the sum
//           as F16(d * sum(codes)) with d unrounded, which Q4_1/Q5_1 dots multiply by the
//           weights' minimum; the GPU adds minimum * s to its float dot (offload.cpp).
// One invocation per block; the blocks are short and activations small next to weights.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "layer_math.glsl"

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
#include "act_codes.glsl"
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(std430, binding = 2) writeonly buffer S { float s[]; };
layout(push_constant) uniform Params {
  uint blocks;
  uint kind;
} p;

void main() {
  const uint b = group_index() * WG + gl_LocalInvocationID.x;
  if (b >= p.blocks) return;
  if (p.kind == 2u) {
    uint bits = floatBitsToUint(x[b]);
    // NaN gets the quiet bit, as fp32_to_bf16: truncating one whose payload is all in the low 16
    // bits would leave infinity.
    if ((bits & 0x7fffffffu) <= 0x7f800000u) bits += 0x7fffu + ((bits >> 16) & 1u);
    else bits |= 0x00400000u;
    y[b] = uintBitsToFloat(bits & 0xffff0000u);
    return;
  }
  const uint len = p.kind == 1u ? 256u : 32u;
  const uint first = b * len;
  float amax, vmax;
  block_amax(first, len, amax, vmax);
  if (p.kind != 1u) {
    const float id = q8_0_multiplier(amax);
    precise float d_exact = amax / 127.0;
    const float d = f16_round(d_exact);
    float sum = 0.0, dequant_sum = 0.0;
    for (uint j = 0; j < len; ++j) {
      const float q = roundEven(x[first + j] * id);
      y[first + j] = q * d;
      sum += q;
      dequant_sum += q * d;
    }
    precise float stored = f16_round(d_exact * sum);
    if (p.kind == 3u) s[b] = stored - dequant_sum;
  } else {
    const float iscale = q8_k_multiplier(amax, vmax);
    if (iscale == 0.0) {
      for (uint j = 0; j < len; ++j) y[first + j] = 0.0;
      return;
    }
    const float d = 1.0 / iscale;
    for (uint j = 0; j < len; ++j) y[first + j] = q8_k_code(x[first + j], iscale) * d;
  }
}
