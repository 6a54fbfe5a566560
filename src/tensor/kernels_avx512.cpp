// AVX-512 kernels (F/BW/VL/DQ), the base of the three AVX-512 tiers: the float dots of
// dot_float.h at 16 floats per register (the same bits as the AVX2 tier's).
#include "tensor/dot_float.h"
#include "tensor/kernels.h"

namespace hearth::tensor {

void register_avx512(KernelTable& t) {
  entry(t, Type::F32).vec_dot = simd::f32_dot<simd::Zmm>;
  entry(t, Type::F16).vec_dot = simd::f16_dot<simd::Zmm>;
  entry(t, Type::BF16).vec_dot = simd::bf16_dot<simd::Zmm>;
}

}  // namespace hearth::tensor
