// The interleaved-layout GEMM (gemm_interleaved.h) for the avx512 tier: F/BW/VL/DQ without VNNI.
#include "tensor/gemm_interleaved.h"

namespace hearth::tensor {

void register_gemm_interleaved_avx512(KernelTable& t) { fill_gemm_interleaved<simd::Zmm>(t); }

}  // namespace hearth::tensor
