#pragma once
#include <cstdint>

namespace hearth::model {

// SwiGLU gate in place: gate[i] = silu(gate[i]) * up[i].
void swiglu(float* gate, const float* up, int64_t n);

}  // namespace hearth::model
