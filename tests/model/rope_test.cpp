// RoPE angle tables: plain, linear scaling, and YaRN's blend of scaled and unscaled angles.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/rope.h"

namespace {

using hearth::model::RopeParams;
using hearth::model::rope_table;
using hearth::model::yarn_corr_dims;

TEST(Rope, LinearScalingDividesThePosition) {
  std::vector<float> plain, scaled;
  RopeParams p;
  rope_table(3, 8, p, plain);
  p.freq_scale = 0.25f;
  rope_table(12, 8, p, scaled);
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_NEAR(plain[i], scaled[i], 1e-5) << i;
}

TEST(Rope, YarnCorrectionRangeFollowsThePublishedFormula) {
  // n_rot 64, trained on 4096 positions, base 150000: the dimension with 32 rotations in the
  // original context is 64 ln(4096 / (32 * 2 pi)) / (2 ln 150000) = 8.09, with 1 rotation 17.39.
  RopeParams p;
  yarn_corr_dims(64, 4096, 150000.0f, 32.0f, 1.0f, p);
  EXPECT_EQ(p.corr_lo, 8.0f);
  EXPECT_EQ(p.corr_hi, 18.0f);
}

TEST(Rope, YarnKeepsFastDimensionsAndScalesSlowOnes) {
  const int64_t n_rot = 64, pos = 1000;
  RopeParams plain;
  plain.base = 150000.0f;
  RopeParams yarn = plain;
  yarn.freq_scale = 1.0f / 8.0f;
  yarn.ext_factor = 1.0f;
  yarn_corr_dims(n_rot, 4096, yarn.base, 32.0f, 1.0f, yarn);
  std::vector<float> a, b, c;
  rope_table(pos, n_rot, plain, a);
  rope_table(pos, n_rot, yarn, b);
  RopeParams linear = plain;
  linear.freq_scale = yarn.freq_scale;
  rope_table(pos, n_rot, linear, c);
  const float mscale = 1.0f + 0.1f * std::log(8.0f);
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    const float cy = b[2 * i], sy = b[2 * i + 1];
    EXPECT_NEAR(std::hypot(cy, sy), mscale, 1e-5) << "pair " << i;
    if (i <= 8) {  // high frequency: the unscaled angle
      EXPECT_NEAR(cy / mscale, a[2 * i], 1e-4) << i;
      EXPECT_NEAR(sy / mscale, a[2 * i + 1], 1e-4) << i;
    } else if (i >= 18) {  // low frequency: the interpolated angle
      EXPECT_NEAR(cy / mscale, c[2 * i], 1e-4) << i;
      EXPECT_NEAR(sy / mscale, c[2 * i + 1], 1e-4) << i;
    }
  }
}

TEST(Rope, YarnWithoutScalingIsPlainRope) {
  RopeParams plain, yarn;
  yarn.ext_factor = 1.0f;
  yarn_corr_dims(32, 2048, yarn.base, 32.0f, 1.0f, yarn);
  std::vector<float> a, b;
  rope_table(77, 32, plain, a);
  rope_table(77, 32, yarn, b);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(a[i], b[i]) << i;
}

}  // namespace
