#include "model/rope.h"

#include <cmath>

namespace hearth::model {

void rope_table(int64_t pos, int64_t n_rot, float base, const float* freq_factors, std::vector<float>& table,
                float freq_scale) {
  table.resize(static_cast<size_t>(n_rot));
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(n_rot));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    const float ff = freq_factors ? freq_factors[i] : 1.0f;
    const float t = freq_scale * (theta / ff);
    table[2 * i] = std::cos(t);
    table[2 * i + 1] = std::sin(t);
    theta *= theta_scale;
  }
}

void rope_apply(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, RopeStyle style,
                const std::vector<float>& table) {
  const int64_t half = n_rot / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const float c = table[2 * i], s = table[2 * i + 1];
      // adjacent: pair (2i, 2i+1); neox: pair (i, i + n_rot/2)
      const int64_t a = style == RopeStyle::adjacent ? 2 * i : i;
      const int64_t b = style == RopeStyle::adjacent ? 2 * i + 1 : i + half;
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
    }
  }
}

}  // namespace hearth::model
