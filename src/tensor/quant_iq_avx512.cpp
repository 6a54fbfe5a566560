// The i-quant and MXFP4 dots of tensor/iq_simd.h, compiled for the avx512 tier (no VNNI).
#include "tensor/iq_simd.h"

namespace hearth::tensor {

void register_iq_avx512(KernelTable& t) { iq_simd::fill(t); }

}  // namespace hearth::tensor
