#include "model/ffn.h"

#include "tensor/vec.h"

namespace hearth::model {

void swiglu(const tensor::Kernels& kernels, float* gate, const float* up, int64_t n) {
  tensor::silu_mul(kernels, gate, up, n);
}

void geglu_f16(const tensor::Kernels& kernels, float* gate, const float* up, int64_t n) {
  tensor::gelu_mul(kernels, gate, up, n);
}

void gelu_f16(const tensor::Kernels& kernels, float* x, int64_t n) { tensor::gelu_mul(kernels, x, nullptr, n); }

}  // namespace hearth::model
