#include "model/ffn.h"

#include "tensor/vec.h"

namespace hearth::model {

void swiglu(const tensor::Kernels& kernels, float* gate, const float* up, int64_t n) {
  tensor::silu_mul(kernels, gate, up, n);
}

}  // namespace hearth::model
