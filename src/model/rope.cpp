#include "model/rope.h"

#include <algorithm>
#include <cmath>

#include "tensor/vec.h"

namespace hearth::model {

void yarn_corr_dims(int64_t n_rot, int64_t n_ctx_orig, float base, float beta_fast, float beta_slow, RopeParams& p) {
  // The dimension whose wavelength fits n_rotations times into the original context.
  auto dim = [&](float n_rotations) {
    return static_cast<float>(n_rot) * std::log(static_cast<float>(n_ctx_orig) / (n_rotations * 2.0f * 3.14159265358979323846f)) /
           (2.0f * std::log(base));
  };
  p.corr_lo = std::max(0.0f, std::floor(dim(beta_fast)));
  p.corr_hi = std::min(static_cast<float>(n_rot - 1), std::ceil(dim(beta_slow)));
}

void rope_table(int64_t pos, int64_t n_rot, const RopeParams& p, std::vector<float>& table) {
  table.resize(static_cast<size_t>(n_rot));
  const float theta_scale = std::pow(p.base, -2.0f / static_cast<float>(n_rot));
  float mscale = p.attn_factor;
  if (p.ext_factor != 0.0f) mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    const float ff = p.freq_factors ? p.freq_factors[i] : 1.0f;
    const float extrap = theta / ff;
    float t = p.freq_scale * extrap;
    if (p.ext_factor != 0.0f) {
      const float y = (static_cast<float>(i) - p.corr_lo) / std::max(0.001f, p.corr_hi - p.corr_lo);
      const float ramp = (1.0f - std::min(1.0f, std::max(0.0f, y))) * p.ext_factor;
      t = t * (1.0f - ramp) + extrap * ramp;
    }
    table[2 * i] = std::cos(t) * mscale;
    table[2 * i + 1] = std::sin(t) * mscale;
    theta *= theta_scale;
  }
}

void rope_apply(const tensor::Kernels& kernels, float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot,
                RopeStyle style, const std::vector<float>& table) {
  // adjacent: pairs (2i, 2i+1); neox: pairs (i, i + n_rot/2)
  for (int64_t h = 0; h < n_heads; ++h)
    tensor::rope(kernels, x + h * head_dim, table.data(), n_rot, style == RopeStyle::neox);
}

}  // namespace hearth::model
