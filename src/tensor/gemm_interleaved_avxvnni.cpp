// The interleaved-layout GEMM (gemm_interleaved.h) compiled for AVX2 + AVX-VNNI (vpdpbusd on 256-bit registers).
#include "tensor/gemm_interleaved.h"

namespace hearth::tensor {

void register_gemm_interleaved_avxvnni(KernelTable& t) { fill_gemm_interleaved<simd::Ymm>(t); }

}  // namespace hearth::tensor
