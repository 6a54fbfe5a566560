// The interleaved-layout GEMM (gemm_interleaved_ymm.h) compiled for AVX2 (vpmaddubsw + vpmaddwd).
#include "tensor/gemm_interleaved_ymm.h"

namespace hearth::tensor {

void register_gemm_interleaved_avx2(KernelTable& t) { fill_gemm_interleaved_ymm(t); }

}  // namespace hearth::tensor
