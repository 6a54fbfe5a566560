// Row-layout matmul on the AVX2 tiers. The quantized types use the interleaved layout there
// (gemm_interleaved_avx2.cpp); F16 stays in rows and is tiled by gemm_f16.h at 8 floats per register.
#include "tensor/gemm_f16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {

void register_gemm_avx2(KernelTable& t) { entry(t, Type::F16).gemm = simd::F16Rows<simd::Ymm>::matmul; }

}  // namespace hearth::tensor
