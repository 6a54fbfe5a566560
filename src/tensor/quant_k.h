// Helpers shared by the K-quant dequantizers/dots (quant_k.cpp) and quantizers
// (quant_k_quantize.cpp). Internal to src/tensor.
#pragma once
#include <cstdint>

namespace hearth::tensor {

// Q3_K: 16 6-bit scales packed in 12 bytes, stored with a +32 offset; returns them signed.
void unpack_q3_k_scales(const uint8_t packed[12], int8_t out[16]);
// Q4_K/Q5_K: 8 (scale, min) pairs of 6 bits packed in 12 bytes.
void scale_min_k4(int j, const uint8_t* packed, uint8_t* scale, uint8_t* min);
// The inverse: packs 8 scales and 8 mins (6 bits each) into the 12 bytes.
void pack_scale_min(const uint8_t* scales, const uint8_t* mins, uint8_t* packed);

// Reference quantizers (same search as ggml's, so files re-quantize to the same bytes).
void quantize_q2_k_ref(const float* x, void* dst, int64_t n);
void quantize_q3_k_ref(const float* x, void* dst, int64_t n);
void quantize_q4_k_ref(const float* x, void* dst, int64_t n);
void quantize_q5_k_ref(const float* x, void* dst, int64_t n);
void quantize_q6_k_ref(const float* x, void* dst, int64_t n);

}  // namespace hearth::tensor
