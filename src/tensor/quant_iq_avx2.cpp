// The i-quant and MXFP4 dots of tensor/iq_simd.h, compiled for the avx2 tier.
#include "tensor/iq_simd.h"

namespace hearth::tensor {

void register_iq_avx2(KernelTable& t) { iq_simd::fill(t); }

}  // namespace hearth::tensor
