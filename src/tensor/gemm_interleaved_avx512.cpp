// The interleaved-layout GEMM (gemm_interleaved_zmm.h) for the avx512 tier: F/BW/VL/DQ without VNNI.
#include "tensor/gemm_interleaved_zmm.h"

namespace hearth::tensor {

void register_gemm_interleaved_avx512(KernelTable& t) { fill_gemm_interleaved_zmm(t); }

}  // namespace hearth::tensor
