// Rotary position embedding.
#pragma once
#include <cstdint>
#include <vector>

#include "model/arch.h"
#include "tensor/dispatch.h"

namespace hearth::model {

// How angles are made for one layer.
struct RopeParams {
  float base = 10000.0f;
  float freq_scale = 1.0f;              // linear/YaRN: positions times this (1 / scaling factor)
  const float* freq_factors = nullptr;  // llama-3 / LongRoPE: frequency i divided by factors[i]
  float attn_factor = 1.0f;             // multiplies cos and sin
  // YaRN (ext_factor > 0): dimension pairs below corr_lo keep the unscaled angle, those above
  // corr_hi the scaled one, a linear ramp between; cos/sin gain 1 + 0.1 ln(1 / freq_scale).
  float ext_factor = 0.0f;
  float corr_lo = 0.0f, corr_hi = 0.0f;
};

// YaRN's correction range for a model trained on n_ctx_orig positions (beta_fast/beta_slow:
// rotations at which a dimension counts as high/low frequency; 32 and 1 by default).
void yarn_corr_dims(int64_t n_rot, int64_t n_ctx_orig, float base, float beta_fast, float beta_slow, RopeParams& p);

// cos/sin of every rotated pair for one position: table[2*i] = cos, table[2*i+1] = sin, i in
// [0, n_rot/2). Frequency i is base^(-2i/n_rot). Theta is advanced by repeated float
// multiplication and scaled in the same order as ggml, so angles round like the reference.
void rope_table(int64_t pos, int64_t n_rot, const RopeParams& p, std::vector<float>& table);

// Rotates the first n_rot dimensions of each of `n_heads` consecutive heads of `head_dim` floats,
// on the kernels' ISA path (every path gives the scalar reference's bits).
void rope_apply(const tensor::Kernels& kernels, float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, RopeStyle style,
                const std::vector<float>& table);

}  // namespace hearth::model
