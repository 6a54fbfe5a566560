// AVX-512 vector kernels (tensor/vec.h): vec_simd.h at 16 floats per register. RMSNorm and RoPE
// stay on vec_avx2.cpp's, which every SIMD tier takes.
#include "tensor/vec_simd.h"

namespace hearth::tensor {

void register_vec_avx512(VecKernels& v) { simd::fill_vec<simd::Zmm>(v); }

}  // namespace hearth::tensor
