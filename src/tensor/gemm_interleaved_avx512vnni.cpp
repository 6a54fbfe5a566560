// The interleaved-layout GEMM (gemm_interleaved.h) for the avx512+vnni and avx512+bf16 tiers.
#include "tensor/gemm_interleaved.h"

namespace hearth::tensor {

void register_gemm_interleaved_avx512vnni(KernelTable& t) { fill_gemm_interleaved<simd::Zmm>(t); }

}  // namespace hearth::tensor
