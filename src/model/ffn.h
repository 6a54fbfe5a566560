#pragma once
#include <cstdint>

#include "tensor/dispatch.h"

namespace hearth::model {

// SwiGLU gate in place: gate[i] = silu(gate[i]) * up[i].
void swiglu(const tensor::Kernels& kernels, float* gate, const float* up, int64_t n);

}  // namespace hearth::model
