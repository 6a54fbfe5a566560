// The row-layout tiled matmul (gemm_zmm.h) for the avx512 tier: F/BW/VL/DQ without VNNI.
#include "tensor/gemm_zmm.h"

namespace hearth::tensor {

void register_gemm_avx512(KernelTable& t) { fill_gemm_zmm(t); }

}  // namespace hearth::tensor
