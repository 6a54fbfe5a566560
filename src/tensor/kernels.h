// Per-type kernel table (internal to src/tensor). Each type's file defines its scalar reference
// kernels and a register_* function that fills its entry; ISA files (*_avx2.cpp, *_avx512.cpp)
// override entries with faster kernels that compute the same thing.
#pragma once
#include <array>
#include <cstdint>

#include "tensor/types.h"

namespace hearth::tensor {

using to_float_fn = void (*)(const void* src, float* dst, int64_t n);
using from_float_fn = void (*)(const float* src, void* dst, int64_t n);
// Dot product of one weight row (n elements of the weight type) with one activation row already
// converted to the entry's vec_dot_type.
using vec_dot_fn = float (*)(int64_t n, const void* w, const void* x);
// Tile product for matmul: y[c * y_stride + r] = dot(w row r, x row c) for r < nr, c < nc, rows
// of n elements (weights w_stride bytes apart, activations x_stride bytes apart, activations in
// the entry's vec_dot_type). Each result must equal what vec_dot gives for the same pair, so a
// row's value does not depend on how the work was tiled or split across threads.
using gemm_fn = void (*)(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* x, size_t x_stride,
                         int64_t nc, float* y, int64_t y_stride);

struct TypeKernels {
  to_float_fn to_float = nullptr;
  // Reference quantizer for rows stored in this type (quantize_row; ggml-identical bytes).
  from_float_fn from_float_ref = nullptr;
  // Converts activations for matmul into this type when it is another type's vec_dot_type. It
  // follows llama.cpp's x86 activation quantizer, which rounds differently from the reference.
  from_float_fn from_float_act = nullptr;
  Type vec_dot_type = Type::F32;
  vec_dot_fn vec_dot = nullptr;
  // Optional register-tiled kernel (several weight rows x several tokens per pass); matmul falls
  // back to one vec_dot per pair without it.
  gemm_fn gemm = nullptr;
  // The same product over weights in the interleaved layout (tensor/interleave.h): w points at a
  // group's start, nr is a multiple of 16 and w_stride is interleaved_size(type, 16, n) / 16
  // (row_size(type, n) for Q4_0 and Q8_0). Every path
  // has one for the types with that layout (the scalar reference defines the results);
  // interleave_pays marks a path where it is faster than the row layout.
  gemm_fn gemm_interleaved = nullptr;
  bool interleave_pays = false;
};

// Heads that share the rows of a weighted sum (the query heads of one KV head): head h's weights
// start at w + h * w_stride and its output at out + h * out_stride.
struct SumHeads {
  int64_t count = 1, w_stride = 0, out_stride = 0;
};

// Per-ISA vector kernels behind tensor/vec.h (same contracts).
struct VecKernels {
  float (*attn_scores)(const float* q, const float* k, int64_t stride, int64_t n, int64_t dim, float scale,
                      float* y) = nullptr;
  float (*exp_sum)(float* y, int64_t n, float max) = nullptr;
  void (*weighted_sum)(const float* w, const float* v, int64_t stride, int64_t n, int64_t dim, float* out,
                       SumHeads heads) = nullptr;
  // The same two over F16 rows (an F16 KV cache read in place).
  float (*attn_scores_f16)(const float* q, const uint16_t* k, int64_t stride, int64_t n, int64_t dim, float scale,
                          float* y) = nullptr;
  void (*weighted_sum_f16)(const float* w, const uint16_t* v, int64_t stride, int64_t n, int64_t dim,
                           float* out, SumHeads heads) = nullptr;
  void (*silu_mul)(float* gate, const float* up, int64_t n) = nullptr;
  double (*sum_squares)(const float* x, int64_t n) = nullptr;
  void (*scale_mul)(const float* x, float scale, const float* w, float* y, int64_t n) = nullptr;
  void (*rope)(float* v, const float* table, int64_t n_rot, bool neox) = nullptr;
  void (*gelu_mul)(float* x, const float* up, int64_t n) = nullptr;
};
// GELU (tanh form) of every F16 bit pattern, as F16 (vec.cpp); one zero entry follows the last so
// that a 4-byte gather of entry 65535 stays inside the table.
const uint16_t* gelu_f16_table();
// One element as llama.cpp's CPU backend computes it: 0 at or below -10, x at or above 10, else
// x rounded to F16 and looked up in the table (the SIMD paths' tails use it).
float gelu_f16_one(float x);
void register_vec_scalar(VecKernels& v);  // vec.cpp
void register_vec_avx2(VecKernels& v);    // vec_avx2.cpp
void register_vec_avx512(VecKernels& v);  // vec_avx512.cpp

constexpr size_t kMaxTypeId = 40;  // ggml type ids go up to MXFP4 = 39
using KernelTable = std::array<TypeKernels, kMaxTypeId>;

inline TypeKernels& entry(KernelTable& t, Type type) { return t.at(static_cast<uint32_t>(type)); }

// One per type family; each lives in its own file.
void register_float_types(KernelTable& t);  // F32, F16, BF16
void register_q4_0(KernelTable& t);
void register_q4_1(KernelTable& t);
void register_q5_0(KernelTable& t);
void register_q5_1(KernelTable& t);
void register_q8(KernelTable& t);  // Q8_0, Q8_1
void register_k_quants(KernelTable& t);  // Q2_K..Q6_K, Q8_K
void register_iq4(KernelTable& t);     // IQ4_NL, IQ4_XS
void register_iq3s(KernelTable& t);    // IQ3_S
void register_mxfp4(KernelTable& t);   // MXFP4
void register_interleaved(KernelTable& t);  // interleave.cpp: Q4_0, Q8_0 reference kernels

// ISA overrides (only called when the CPU supports the ISA).
void register_avx2(KernelTable& t);
void register_gemm_avx2(KernelTable& t);  // gemm_avx2.cpp
void register_gemm_interleaved_avx2(KernelTable& t);  // gemm_interleaved_avx2.cpp
void register_gemm_interleaved_avxvnni(KernelTable& t);  // gemm_interleaved_avxvnni.cpp
void register_iq_avx2(KernelTable& t);    // quant_iq_avx2.cpp
void register_iq_avx512(KernelTable& t);  // quant_iq_avx512.cpp
void register_avx512(KernelTable& t);  // kernels_avx512.cpp: float dots
void register_gemm_avx512(KernelTable& t);  // gemm_avx512.cpp
void register_gemm_interleaved_avx512(KernelTable& t);  // gemm_interleaved_avx512.cpp
void register_gemm_avx512vnni(KernelTable& t);  // gemm_avx512vnni.cpp
void register_gemm_interleaved_avx512vnni(KernelTable& t);  // gemm_interleaved_avx512vnni.cpp
void register_iq_avx512vnni(KernelTable& t);  // quant_iq_avx512vnni.cpp
void register_avx512bf16(KernelTable& t);  // kernels_avx512bf16.cpp

// Calls f.template operator()<N>() with N = min(n, Max) (at least 1): kernels whose register
// count is a template argument pick it from a run-time size this way.
template <int Max, class F>
inline void with_count(int64_t n, F&& f) {
  if constexpr (Max > 1) {
    if (n < Max) {
      with_count<Max - 1>(n, f);
      return;
    }
  }
  f.template operator()<Max>();
}

}  // namespace hearth::tensor
