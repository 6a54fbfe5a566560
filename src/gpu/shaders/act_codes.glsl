// The CPU's activation codes (tensor's Q8_0/Q8_1 and Q8_K quantizers), shared by round_act.comp
// (codes times scale, as floats) and quantize_act.comp (the codes themselves, for the integer
// dot product). Included after the including shader declares `float x[]`, and after
// layer_math.glsl (f16_round).
//   Q8_0/Q8_1, blocks of 32: code = round-half-even(x * 127/amax), scale amax/127 as F16.
//   Q8_K, blocks of 256: the largest-magnitude value maps to -127, code = min(127,
//   round-half-even(x * iscale)), scale 1/iscale in float.

// The largest magnitude of the block and the value that has it (the first one, as the CPU).
void block_amax(uint first, uint len, out float amax, out float vmax) {
  amax = 0.0;
  vmax = 0.0;
  for (uint j = 0; j < len; ++j) {
    const float v = x[first + j];
    if (abs(v) > amax) {
      amax = abs(v);
      vmax = v;
    }
  }
}

// Q8_0's multiplier 127/amax. amax below 127 / FLT_MAX: it overflows, and the CPU's nearest_int
// makes every code 0 (roundEven(x * inf) * 0 would be NaN), so 0 stands for it.
float q8_0_multiplier(float amax) {
  precise float id = amax != 0.0 ? 127.0 / amax : 0.0;
  return isinf(id) ? 0.0 : id;
}

// Q8_K's multiplier -127/vmax; 0 when every code is 0 (all zeros, or amax so small that the
// multiplier overflows), and then the scale is 0 too.
float q8_k_multiplier(float amax, float vmax) {
  precise float iscale = amax != 0.0 ? -127.0 / vmax : 0.0;
  return isinf(iscale) ? 0.0 : iscale;
}
float q8_k_code(float v, float iscale) { return min(127.0, roundEven(iscale * v)); }
