#include "model/ffn.h"

#include "tensor/vec.h"

namespace hearth::model {

void swiglu(float* gate, const float* up, int64_t n) { tensor::silu_mul(gate, up, n); }

}  // namespace hearth::model
