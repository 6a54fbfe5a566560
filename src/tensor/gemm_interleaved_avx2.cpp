// The interleaved-layout GEMM (gemm_interleaved.h) compiled for AVX2 (vpmaddubsw + vpmaddwd).
#include "tensor/gemm_interleaved.h"

namespace hearth::tensor {

void register_gemm_interleaved_avx2(KernelTable& t) { fill_gemm_interleaved<simd::Ymm>(t); }

}  // namespace hearth::tensor
