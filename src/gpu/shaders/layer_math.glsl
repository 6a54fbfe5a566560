// Helpers of the layer kernels (included after common.glsl): F16 conversions done in integer
// arithmetic, so they round and widen the same way on every device, and a tanh without overflow.

// float -> IEEE half bits, round to nearest, ties to even, as tensor/fp16.h's fp32_to_fp16.
// (packHalf2x16 may round toward zero: Vulkan leaves the rounding of narrowing conversions to
// the implementation.)
uint f16_bits(float f) {
  const uint u = floatBitsToUint(f);
  const uint sign = (u >> 16) & 0x8000u;
  const uint a = u & 0x7fffffffu;
  if (a >= 0x7f800000u) return sign | (a > 0x7f800000u ? 0x7e00u : 0x7c00u);  // nan / inf
  if (a >= 0x477ff000u) return sign | 0x7c00u;                                // overflows to inf
  if (a < 0x38800000u) {                                                      // subnormal or zero
    if (a < 0x33000000u) return sign;
    const uint m = (a & 0x7fffffu) | 0x800000u;
    const uint shift = 126u - (a >> 23);  // 14..24
    uint r = m >> shift;
    const uint rem = m & ((1u << shift) - 1u), half_ = 1u << (shift - 1u);
    if (rem > half_ || (rem == half_ && (r & 1u) != 0u)) ++r;
    return sign | r;
  }
  uint r = (a - 0x38000000u) >> 13;  // rebias the exponent; a carry may bump it, which is right
  const uint rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u) != 0u)) ++r;
  return sign | r;
}

// IEEE half bits (low 16) -> float, subnormals included (a device may flush them in
// unpackHalf2x16, and F16-rounded activations near zero are subnormal halves).
float f16_value(uint h) {
  const uint sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0x1fu) return uintBitsToFloat(sign | 0x7f800000u | (m << 13));
  if (e == 0u) {
    const float v = float(m) * uintBitsToFloat(0x33800000u);  // m * 2^-24, exact
    return sign != 0u ? -v : v;
  }
  return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));
}

float f16_round(float f) { return f16_value(f16_bits(f)); }

// tanh within a few float ulps: a Taylor polynomial near 0, where 1 - e^-2|x| would cancel, else
// 1 - 2e / (1 + e) with e = e^-2|x|, which cannot overflow (the textbook (e^x - e^-x) /
// (e^x + e^-x) gives inf / inf for large scores on some drivers) and near +-1 is rounded once,
// onto the float grid a correctly rounded tanh lands on: GELU's 1 + tanh(z) for negative z is
// then the CPU's multiple of 2^-24.
float safe_tanh(float x) {
  const float a = abs(x);
  float t;
  if (a < 0.25) {
    const float a2 = a * a;  // terms to a^9; the first left out is below 1e-8 relative
    t = a * (1.0 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0 + a2 * (62.0 / 2835.0)))));
  } else {
    const float e = exp(-2.0 * a);
    t = 1.0 - 2.0 * e / (1.0 + e);
  }
  return x < 0.0 ? -t : t;
}
