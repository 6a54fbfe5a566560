// The row-layout tiled matmul (gemm_zmm.h) for the avx512+vnni and avx512+bf16 tiers (vpdpbusd).
#include "tensor/gemm_zmm.h"

namespace hearth::tensor {

void register_gemm_avx512vnni(KernelTable& t) { fill_gemm_zmm(t); }

}  // namespace hearth::tensor
