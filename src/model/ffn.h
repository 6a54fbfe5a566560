#pragma once
#include <cstdint>

#include "tensor/dispatch.h"

namespace hearth::model {

// SwiGLU gate in place: gate[i] = silu(gate[i]) * up[i].
void swiglu(const tensor::Kernels& kernels, float* gate, const float* up, int64_t n);

// GELU-gated in place: gate[i] = gelu(gate[i]) * up[i], with GELU's tanh form evaluated the way
// llama.cpp's CPU backend does (input rounded to F16, result looked up as F16; exact outside
// [-10, 10]), so gemma models match its logits.
void geglu_f16(const tensor::Kernels& kernels, float* gate, const float* up, int64_t n);
// The same GELU alone, in place (bert's ungated FFN).
void gelu_f16(const tensor::Kernels& kernels, float* x, int64_t n);

}  // namespace hearth::model
