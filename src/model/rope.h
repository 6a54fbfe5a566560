// Rotary position embedding.
#pragma once
#include <cstdint>
#include <vector>

#include "model/arch.h"

namespace hearth::model {

// cos/sin of every rotated pair for one position: table[2*i] = cos, table[2*i+1] = sin, i in
// [0, n_rot/2). Frequency i is base^(-2i/n_rot), divided by freq_factors[i] when given (llama-3
// scaling). Theta is advanced by repeated float multiplication, the way ggml does, so angles
// round like the reference.
// freq_scale multiplies every angle (linear position scaling).
void rope_table(int64_t pos, int64_t n_rot, float base, const float* freq_factors, std::vector<float>& table,
                float freq_scale = 1.0f);

// Rotates the first n_rot dimensions of each of `n_heads` consecutive heads of `head_dim` floats.
void rope_apply(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, RopeStyle style,
                const std::vector<float>& table);

}  // namespace hearth::model
