// Vector kernels for attention and activations, on the ISA path the caller's Kernels name, like
// matmul (dispatch.h). The scalar path is the reference; SIMD paths differ only in float summation
// order and in exp's last bits (named tolerances in tests/tensor/vec_test.cpp).
#pragma once
#include <cstdint>

#include "tensor/dispatch.h"

namespace hearth::tensor {

// y[j] = scale * dot(q, k + j * stride) for j < n: one query against n keys of `dim` floats.
void attn_scores(const Kernels& kernels, const float* q, const float* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y);
// y[j] = exp(y[j] - max) in place; returns the sum of the new values.
float exp_sum(const Kernels& kernels, float* y, int64_t n, float max);
// out[d] += sum_j w[j] * v[j * stride + d] for d < dim. Accumulating lets a caller split the rows
// into chunks and get the very result of one pass (the running sums go through out exactly).
void weighted_sum(const Kernels& kernels, const float* w, const float* v, int64_t stride, int64_t n, int64_t dim, float* out);
// gate[i] = silu(gate[i]) * up[i].
void silu_mul(const Kernels& kernels, float* gate, const float* up, int64_t n);

}  // namespace hearth::tensor
