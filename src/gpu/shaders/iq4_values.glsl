// The 16 values of IQ4_NL and IQ4_XS codes (the non-linear grid of the GGUF format), for the
// matmul shaders of those types.
const float kIq4Values[16] = float[16](-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0, 1.0, 13.0, 25.0,
                                       38.0, 53.0, 69.0, 89.0, 113.0);

// The values of the four codes (0..15) in the bytes of v.
vec4 iq4_values(uint v) {
  return vec4(kIq4Values[v & 15u], kIq4Values[(v >> 8) & 15u], kIq4Values[(v >> 16) & 15u], kIq4Values[v >> 24]);
}
