// The i-quant and MXFP4 dots of tensor/iq_simd.h, compiled for the AVX-512 tiers with VNNI (its
// signed byte dots become one vpdpbusd, simd_avx.h).
#include "tensor/iq_simd.h"
#include "tensor/kernels.h"

namespace hearth::tensor {

void register_iq_avx512vnni(KernelTable& t) {
  entry(t, Type::IQ4_NL).vec_dot = iq_simd::iq4_nl_dot;
  entry(t, Type::IQ4_XS).vec_dot = iq_simd::iq4_xs_dot;
  entry(t, Type::IQ3_S).vec_dot = iq_simd::iq3_s_dot;
  entry(t, Type::MXFP4).vec_dot = iq_simd::mxfp4_dot;
}

}  // namespace hearth::tensor
