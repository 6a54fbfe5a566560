// The i-quant and MXFP4 dots of tensor/iq_simd.h, compiled for the AVX-512 tiers with VNNI (its
// signed byte dots become one vpdpbusd, simd_avx.h).
#include "tensor/iq_simd.h"

namespace hearth::tensor {

void register_iq_avx512vnni(KernelTable& t) { iq_simd::fill(t); }

}  // namespace hearth::tensor
