// Vector kernels (tensor/vec.h) on every ISA path against the scalar reference, at head sizes
// with and without SIMD tails and lengths that leave partial vectors.
#include <gtest/gtest.h>

#include <bit>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "support/isa_paths.h"
#include "tensor/dispatch.h"
#include "tensor/fp16.h"
#include "tensor/vec.h"

namespace {
using namespace hearth::tensor;

// Float summation order differs between paths: relative to the sum of |terms|.
constexpr double kDotRelTol = 1e-5;
// The SIMD exp is a polynomial within a few ulp of libm's.
constexpr double kExpRelTol = 2e-6;
// A float sum of up to a thousand positive terms in 8 or 16 lanes against a double sum.
constexpr double kSumRelTol = 1e-5;

std::vector<Isa> simd_isas() {
  return hearth::test::isa_paths(false);
}

std::vector<float> randn(size_t n, std::mt19937& rng, float sd = 1.0f) {
  std::normal_distribution<float> nd(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

TEST(VecKernels, AttentionScoresMatchScalar) {
  std::mt19937 rng(1);
  const VecKernels& ref = vec_kernels(Isa::scalar);
  for (int64_t dim : {64, 128, 40, 7})
    for (int64_t n : {1, 5, 33}) {
      const int64_t stride = dim + 3;
      auto q = randn(dim, rng), k = randn(stride * n, rng);
      std::vector<float> want(n), got(n);
      const float want_max = ref.attn_scores(q.data(), k.data(), stride, n, dim, 0.125f, want.data());
      EXPECT_EQ(want_max, *std::max_element(want.begin(), want.end()));
      for (Isa isa : simd_isas()) {
        const float mx = vec_kernels(isa).attn_scores(q.data(), k.data(), stride, n, dim, 0.125f, got.data());
        EXPECT_EQ(mx, *std::max_element(got.begin(), got.end())) << isa_name(isa) << " dim " << dim << " n " << n;
        for (int64_t j = 0; j < n; ++j) {
          double mag = 0;
          for (int64_t d = 0; d < dim; ++d) mag += std::fabs(q[d] * k[j * stride + d]) * 0.125;
          ASSERT_NEAR(got[j], want[j], kDotRelTol * mag + 1e-7) << isa_name(isa) << " dim " << dim << " key " << j;
        }
      }
    }
}

TEST(VecKernels, ExpSumMatchesScalar) {
  std::mt19937 rng(2);
  for (int64_t n : {1, 7, 16, 100, 1000}) {
    auto x = randn(n, rng, 8.0f);
    x[0] = -200.0f;  // underflows to 0 on every path
    const float mx = *std::max_element(x.begin(), x.end());
    std::vector<float> want = x;
    const float want_sum = vec_kernels(Isa::scalar).exp_sum(want.data(), n, mx);
    for (Isa isa : simd_isas()) {
      std::vector<float> got = x;
      const float sum = vec_kernels(isa).exp_sum(got.data(), n, mx);
      EXPECT_NEAR(sum, want_sum, kSumRelTol * want_sum) << isa_name(isa) << " n " << n;
      for (int64_t j = 0; j < n; ++j)
        ASSERT_NEAR(got[j], want[j], kExpRelTol * want[j] + 1e-30) << isa_name(isa) << " j " << j << " x " << x[j];
    }
  }
}

TEST(VecKernels, WeightedSumMatchesScalar) {
  std::mt19937 rng(3);
  for (int64_t dim : {64, 128, 40, 7, 80})
    for (int64_t n : {1, 9, 50}) {
      const int64_t stride = dim + 5;
      auto w = randn(n, rng), v = randn(stride * n, rng);
      // It accumulates: start both from the same values.
      std::vector<float> start = randn(dim, rng);
      std::vector<float> want = start;
      vec_kernels(Isa::scalar).weighted_sum(w.data(), v.data(), stride, n, dim, want.data(), {});
      for (Isa isa : simd_isas()) {
        std::vector<float> got = start;
        vec_kernels(isa).weighted_sum(w.data(), v.data(), stride, n, dim, got.data(), {});
        // Split into two calls, the result is the same bits.
        std::vector<float> split = start;
        vec_kernels(isa).weighted_sum(w.data(), v.data(), stride, n / 2, dim, split.data(), {});
        vec_kernels(isa).weighted_sum(w.data() + n / 2, v.data() + (n / 2) * stride, stride, n - n / 2, dim, split.data(), {});
        ASSERT_EQ(split, got) << isa_name(isa);
        for (int64_t d = 0; d < dim; ++d) {
          double mag = 0;
          mag += std::fabs(start[d]);
          for (int64_t j = 0; j < n; ++j) mag += std::fabs(w[j] * v[j * stride + d]);
          ASSERT_NEAR(got[d], want[d], kDotRelTol * mag + 1e-7) << isa_name(isa) << " dim " << dim << " d " << d;
        }
      }
    }
}

// Several heads over the same rows give each head the bits of its own call, on every path and for
// F16 rows too (the attention sums a KV group's heads this way).
TEST(VecKernels, WeightedSumOfHeadsGivesEachHeadsOwnBits) {
  std::mt19937 rng(5);
  for (Isa isa : hearth::test::isa_paths(true)) {
    const VecKernels& vk = vec_kernels(isa);
    for (int64_t dim : {64, 128, 32, 40, 7})
      for (int64_t heads : {1, 2, 3, 4, 5, 8})
        for (int64_t n : {1, 9}) {
          const int64_t stride = dim + 3, ws = n + 2, os = dim + 1;
          std::vector<uint16_t> half(static_cast<size_t>(stride * n));
          std::vector<float> wide(half.size());
          for (size_t i = 0; i < half.size(); ++i) {
            half[i] = fp32_to_fp16(randn(1, rng)[0]);
            wide[i] = fp16_to_fp32(half[i]);
          }
          const auto w = randn(ws * heads, rng), start = randn(os * heads, rng);
          std::vector<float> want = start, got = start, got16 = start;
          for (int64_t h = 0; h < heads; ++h)
            vk.weighted_sum(w.data() + h * ws, wide.data(), stride, n, dim, want.data() + h * os, {});
          vk.weighted_sum(w.data(), wide.data(), stride, n, dim, got.data(), {heads, ws, os});
          vk.weighted_sum_f16(w.data(), half.data(), stride, n, dim, got16.data(), {heads, ws, os});
          ASSERT_EQ(got, want) << isa_name(isa) << " dim " << dim << " heads " << heads << " n " << n;
          ASSERT_EQ(got16, want) << isa_name(isa) << " F16 rows, dim " << dim << " heads " << heads << " n " << n;
        }
  }
}

// F16 rows (an F16 KV cache read in place) give on every path the very bits of widening them
// to floats first and calling the float kernel on that path.
TEST(VecKernels, HalfRowsGiveTheBitsOfWideningFirst) {
  std::mt19937 rng(11);
  for (Isa isa : hearth::test::isa_paths(true)) {
    const VecKernels& vk = vec_kernels(isa);
    for (int64_t dim : {64, 128, 40, 7, 80})
      for (int64_t n : {1, 9, 33}) {
        const int64_t stride = dim + 3;
        std::vector<uint16_t> half(static_cast<size_t>(stride * n));
        std::vector<float> wide(half.size());
        for (size_t i = 0; i < half.size(); ++i) {
          half[i] = fp32_to_fp16(randn(1, rng)[0]);
          wide[i] = fp16_to_fp32(half[i]);
        }
        const auto q = randn(dim, rng), w = randn(n, rng), start = randn(dim, rng);
        std::vector<float> want(n), got(n);
        const float want_max = vk.attn_scores(q.data(), wide.data(), stride, n, dim, 0.125f, want.data());
        const float got_max = vk.attn_scores_f16(q.data(), half.data(), stride, n, dim, 0.125f, got.data());
        EXPECT_EQ(got, want) << isa_name(isa) << " scores, dim " << dim << " n " << n;
        EXPECT_EQ(got_max, want_max) << isa_name(isa);
        std::vector<float> want_sum = start, got_sum = start;
        vk.weighted_sum(w.data(), wide.data(), stride, n, dim, want_sum.data(), {});
        vk.weighted_sum_f16(w.data(), half.data(), stride, n, dim, got_sum.data(), {});
        EXPECT_EQ(got_sum, want_sum) << isa_name(isa) << " weighted sum, dim " << dim << " n " << n;
      }
  }
}

TEST(VecKernels, SiluMulMatchesScalar) {
  std::mt19937 rng(4);
  for (int64_t n : {1, 15, 17, 8192}) {
    auto g = randn(n, rng, 6.0f), u = randn(n, rng);
    g[0] = -120.0f;  // silu -> -0 without NaN
    std::vector<float> want = g;
    vec_kernels(Isa::scalar).silu_mul(want.data(), u.data(), n);
    for (Isa isa : simd_isas()) {
      std::vector<float> got = g;
      vec_kernels(isa).silu_mul(got.data(), u.data(), n);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_NEAR(got[i], want[i], kExpRelTol * std::fabs(want[i]) + 1e-30) << isa_name(isa) << " i " << i;
    }
  }
}

// RMSNorm's parts: the squares' sum differs from the sequential double sum only in double
// rounding; the scaling is the reference's two multiplies, bit for bit.
TEST(VecKernels, RmsNormPartsMatchScalar) {
  std::mt19937 rng(6);
  for (int64_t n : {1, 7, 8, 9, 64, 2048, 3001}) {
    const auto x = randn(n, rng, 3.0f), w = randn(n, rng);
    const double want = vec_kernels(Isa::scalar).sum_squares(x.data(), n);
    std::vector<float> want_y(n), want_plain(n);
    vec_kernels(Isa::scalar).scale_mul(x.data(), 0.37f, w.data(), want_y.data(), n);
    vec_kernels(Isa::scalar).scale_mul(x.data(), 0.37f, nullptr, want_plain.data(), n);
    EXPECT_DOUBLE_EQ(want, [&] {
      double s = 0;
      for (float v : x) s += static_cast<double>(v * v);
      return s;
    }());
    for (Isa isa : simd_isas()) {
      EXPECT_NEAR(vec_kernels(isa).sum_squares(x.data(), n), want, 1e-13 * want) << isa_name(isa) << " n " << n;
      std::vector<float> y(n), plain = x;
      vec_kernels(isa).scale_mul(x.data(), 0.37f, w.data(), y.data(), n);
      vec_kernels(isa).scale_mul(plain.data(), 0.37f, nullptr, plain.data(), n);  // in place
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(y[i], want_y[i]) << isa_name(isa) << " n " << n << " i " << i;
        ASSERT_EQ(plain[i], want_plain[i]) << isa_name(isa) << " n " << n << " i " << i;
      }
    }
  }
}

// RoPE in both pair layouts, at rotated widths with and without SIMD tails and a partial
// rotation (n_rot < head size leaves the rest alone): the reference's bits on every path.
TEST(VecKernels, RopeMatchesScalarInBothLayouts) {
  std::mt19937 rng(7);
  for (int64_t n_rot : {2, 6, 8, 16, 24, 32, 64, 128}) {
    const int64_t head = n_rot + 8;
    const auto x = randn(head, rng);
    std::vector<float> table(n_rot);
    for (int64_t i = 0; i < n_rot / 2; ++i) {
      const float th = 0.3f * static_cast<float>(i + 1);
      table[2 * i] = std::cos(th);
      table[2 * i + 1] = std::sin(th);
    }
    for (bool neox : {false, true}) {
      std::vector<float> want = x;
      vec_kernels(Isa::scalar).rope(want.data(), table.data(), n_rot, neox);
      for (int64_t i = n_rot; i < head; ++i) ASSERT_EQ(want[i], x[i]);
      const int64_t a = 0, b = neox ? n_rot / 2 : 1;  // the first pair
      EXPECT_FLOAT_EQ(want[a], x[a] * table[0] - x[b] * table[1]);
      for (Isa isa : simd_isas()) {
        std::vector<float> got = x;
        vec_kernels(isa).rope(got.data(), table.data(), n_rot, neox);
        for (int64_t i = 0; i < head; ++i)
          ASSERT_EQ(got[i], want[i]) << isa_name(isa) << (neox ? " neox" : " adjacent") << " n_rot " << n_rot << " i " << i;
      }
    }
  }
}

// GELU goes through llama.cpp's F16 table on every path: the SIMD gathers must give the scalar
// bits, at the clamps (+-10), across F16 rounding boundaries, for tails and with or without up.
TEST(VecKernels, GeluMulMatchesScalarBitForBit) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> wide(-12.0f, 12.0f), narrow(-0.05f, 0.05f);
  for (int64_t n : {1, 7, 8, 15, 16, 17, 100, 4099}) {
    std::vector<float> x(n), up(n);
    for (int64_t i = 0; i < n; ++i) {
      x[i] = i % 3 ? wide(rng) : narrow(rng);
      up[i] = wide(rng);
    }
    if (n >= 8) {
      x[0] = -10.0f, x[1] = 10.0f, x[2] = std::nextafter(-10.0f, 0.0f), x[3] = std::nextafter(10.0f, 0.0f);
      x[4] = 65504.0f, x[5] = -70000.0f, x[6] = 0.0f, x[7] = -0.0f;
    }
    for (bool gated : {true, false}) {
      std::vector<float> want = x;
      vec_kernels(Isa::scalar).gelu_mul(want.data(), gated ? up.data() : nullptr, n);
      for (Isa isa : simd_isas()) {
        std::vector<float> got = x;
        vec_kernels(isa).gelu_mul(got.data(), gated ? up.data() : nullptr, n);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
              << isa_name(isa) << " n " << n << " i " << i << " x " << x[i] << (gated ? " gated" : "");
      }
    }
  }
  // The reference itself: GELU's tanh form to F16 precision, 0 and x outside the table's range.
  std::vector<float> v = {1.0f, -1.0f, -10.5f, 10.5f};
  gelu_mul(kernels_for(best_isa()), v.data(), nullptr, 4);
  EXPECT_NEAR(v[0], 0.841192f, 1e-3);
  EXPECT_NEAR(v[1], -0.158808f, 1e-3);
  EXPECT_EQ(v[2], 0.0f);
  EXPECT_EQ(v[3], 10.5f);
}

TEST(VecKernels, EntryPointsFollowTheActivePath) {
  // The public functions dispatch; on any path they compute the same contract.
  std::vector<float> g = {1.0f, -2.0f, 0.5f}, u = {2.0f, 1.0f, -1.0f};
  silu_mul(kernels_for(best_isa()), g.data(), u.data(), 3);
  EXPECT_NEAR(g[0], 1.0f / (1.0f + std::exp(-1.0f)) * 2.0f, 1e-6);
  EXPECT_NEAR(g[1], -2.0f / (1.0f + std::exp(2.0f)), 1e-6);
  std::vector<float> y = {0.0f, std::log(3.0f)};
  EXPECT_NEAR(exp_sum(kernels_for(best_isa()), y.data(), 2, std::log(3.0f)), 1.0f + 1.0f / 3.0f, 1e-6);
}

}  // namespace
