// The interleaved-layout GEMM (gemm_interleaved_ymm.h) compiled for AVX2 + AVX-VNNI (vpdpbusd on 256-bit registers).
#include "tensor/gemm_interleaved_ymm.h"

namespace hearth::tensor {

void register_gemm_interleaved_avxvnni(KernelTable& t) { fill_gemm_interleaved_ymm(t); }

}  // namespace hearth::tensor
