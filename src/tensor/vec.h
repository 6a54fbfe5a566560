// Vector kernels for attention and activations, on the ISA path the caller's Kernels name, like
// matmul (dispatch.h). The scalar path is the reference; SIMD paths differ only in float summation
// order and in exp's last bits (named tolerances in tests/tensor/vec_test.cpp).
#pragma once
#include <cstdint>

#include "tensor/dispatch.h"

namespace hearth::tensor {

// y[j] = scale * dot(q, k + j * stride) for j < n: one query against n keys of `dim` floats.
// Returns the largest y[j] (-inf when n is 0): the softmax needs it, and a scalar pass over the
// scores cost attention at depth 10% of its time.
float attn_scores(const Kernels& kernels, const float* q, const float* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y);
// y[j] = exp(y[j] - max) in place; returns the sum of the new values.
float exp_sum(const Kernels& kernels, float* y, int64_t n, float max);
// out[d] += sum_j w[j] * v[j * stride + d] for d < dim. Accumulating lets a caller split the rows
// into chunks and get the very result of one pass (the running sums go through out exactly).
// With heads (kernels.h), the same for each head over the same rows, each head's result the very
// bits of its own call: the rows are read once for all of them.
void weighted_sum(const Kernels& kernels, const float* w, const float* v, int64_t stride, int64_t n, int64_t dim, float* out,
                  SumHeads heads = {});
// The same over IEEE half rows (an F16 KV cache, read where it lies; strides in elements): the
// very bits of widening the rows to floats and calling the float form on the same path.
float attn_scores(const Kernels& kernels, const float* q, const uint16_t* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y);
void weighted_sum(const Kernels& kernels, const float* w, const uint16_t* v, int64_t stride, int64_t n, int64_t dim, float* out,
                  SumHeads heads = {});
// gate[i] = silu(gate[i]) * up[i].
void silu_mul(const Kernels& kernels, float* gate, const float* up, int64_t n);
// Sum of x[i]^2 with each square rounded to float and the sum kept in double (ggml's RMSNorm).
double sum_squares(const Kernels& kernels, const float* x, int64_t n);
// y[i] = x[i] * scale * w[i], multiplied in that order (w may be nullptr: y[i] = x[i] * scale).
// y may alias x.
void scale_mul(const Kernels& kernels, const float* x, float scale, const float* w, float* y, int64_t n);
// Rotates one head in place by the angles of `table` (cos, sin of pair i at 2i, 2i+1), for the
// first n_rot elements (even): pairs (2i, 2i+1), or (i, i + n_rot / 2) when neox.
void rope(const Kernels& kernels, float* v, const float* table, int64_t n_rot, bool neox);
// x[i] = gelu(x[i]) * up[i] (up may be nullptr: x[i] = gelu(x[i])), GELU's tanh form the way
// llama.cpp's CPU backend evaluates it: x rounded to F16, the result looked up as F16, exact
// outside [-10, 10]. Every path gives the same bits (the SIMD ones gather from the same table).
void gelu_mul(const Kernels& kernels, float* x, const float* up, int64_t n);

}  // namespace hearth::tensor
