// Numeric kernels the model code calls. Weights are in ggml layout: a 2-D weight of dims
// {cols, rows} is `rows` rows of `cols` elements, each row stored as row_size(type, cols) bytes.
// The products run on the ISA path whose Kernels the caller passes (dispatch.h); the scalar path
// is the reference.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "tensor/dispatch.h"
#include "tensor/interleave.h"
#include "tensor/types.h"

namespace hearth {
class ThreadPool;
}

namespace hearth::tensor {

// Y[n][rows] = X[n][cols] · W^T, i.e. Y[i][r] = dot(W row r, X row i). X and Y are F32 and
// densely packed. As in llama.cpp, activations are quantized on the fly to Q8_0 (for
// Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 weights) or Q8_K (for K-quants) before integer dot products, and to
// F16/BF16 for F16/BF16 weights, so results match the reference to the last rounding.
// Splits work across `pool` (nullptr: current thread only).
void matmul(const Kernels& k, const void* W, Type type, int64_t rows, int64_t cols, const float* X, int64_t n, float* Y,
            ThreadPool* pool);

// Several products of the same activations X[n][cols] (e.g. the Q, K and V projections): the
// activations are converted once and the pool is woken once for all of them. Each Y equals
// what matmul gives for its W. Outputs whose types convert activations differently are run
// one after another. A W in the interleaved layout (tensor/interleave.h) says so in `layout`.
struct MatmulOut {
  const void* W;
  Type type;
  int64_t rows;
  float* Y;
  Layout layout = Layout::rows;
};
void matmul_shared(const Kernels& k, std::span<const MatmulOut> outs, int64_t cols, const float* X, int64_t n, ThreadPool* pool);

// Row conversion to and from F32 with the reference (scalar) kernels: the offline paths
// (quantize, synth). quantize_row supports every type hearth runs; for Q4_0, Q4_1, Q5_0, Q5_1
// and Q8_0 the bytes equal ggml's reference quantizer's.
void dequantize_row(Type type, const void* src, float* dst, int64_t n);
void quantize_row(Type type, const float* src, void* dst, int64_t n);

// Fetches row `row` of a 2-D weight as F32 (embedding lookup), in either layout.
void get_row(const Kernels& k, const void* W, Type type, int64_t cols, int64_t row, float* dst, Layout layout = Layout::rows);

}  // namespace hearth::tensor
