// The interleaved weight layout: conversion both ways, refusals, the scalar reference against
// the row-layout kernels (named tolerance), and every ISA path against its definition bit for bit
// (Q4_0/Q8_0: the reference; K-quants: the same path's row kernel), one token and batches alike,
// directly and through matmul on a pool.
#include "support/isa_paths.h"
#include "tensor/interleave.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "tensor/dispatch.h"
#include "tensor/kernels.h"
#include "tensor/ops.h"

namespace {
using namespace hearth;
using namespace hearth::tensor;

// Interleaved reference vs row-layout scalar kernel: same integer block sums, different float
// order; relative to sum |w x| as in gemm_test.
constexpr double kInterleavedVsRowsRelTol = 2e-5;

std::vector<uint8_t> normal_weights(Type t, int64_t rows, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> f(static_cast<size_t>(cols));
  std::vector<uint8_t> w(row_size(t, cols) * rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : f) v = nd(rng);
    quantize_row(t, f.data(), w.data() + r * row_size(t, cols), cols);
  }
  return w;
}

class Interleave : public ::testing::TestWithParam<Type> {};

// Columns for a shape with several blocks: 37 Q4_0/Q8_0 blocks (two 16-block passes of the
// activation sums and a tail) or 5 K-quant super-blocks.
bool k_quant(Type t) { return t == Type::Q4_K || t == Type::Q5_K || t == Type::Q6_K; }
int64_t test_cols(Type t) { return k_quant(t) ? 5 * 256 : 37 * 32; }

TEST_P(Interleave, RoundTripsEveryByte) {
  const Type t = GetParam();
  const int64_t rows = 32, cols = test_cols(t);
  std::mt19937 rng(3);
  // Arbitrary bytes, not only what the quantizer makes (Q8_0 code -128, any fp16 scale).
  std::vector<uint8_t> src(row_size(t, cols) * rows);
  for (auto& b : src) b = static_cast<uint8_t>(rng());
  std::vector<uint8_t> mid(interleaved_size(t, rows, cols)), back(src.size());
  interleave_rows(t, rows, cols, src.data(), mid.data());
  EXPECT_NE(std::vector<uint8_t>(mid.begin(), mid.begin() + 64), std::vector<uint8_t>(src.begin(), src.begin() + 64));
  deinterleave_rows(t, rows, cols, mid.data(), back.data());
  EXPECT_EQ(back, src);
  // One row at a time, as embedding lookups read it.
  const size_t rs = row_size(t, cols);
  std::vector<uint8_t> one(rs);
  for (int64_t r = 0; r < rows; ++r) {
    deinterleave_row(t, cols, mid.data(), r, one.data());
    ASSERT_EQ(one, std::vector<uint8_t>(src.begin() + r * rs, src.begin() + (r + 1) * rs)) << "row " << r;
  }
  EXPECT_THROW(deinterleave_row(t, cols, mid.data(), -1, one.data()), Error);
}

TEST_P(Interleave, GetRowReadsEitherLayout) {
  const Type t = GetParam();
  const int64_t rows = 32, cols = test_cols(t);
  std::mt19937 rng(5);
  const auto w = normal_weights(t, rows, cols, rng);
  std::vector<uint8_t> wi(interleaved_size(t, rows, cols));
  interleave_rows(t, rows, cols, w.data(), wi.data());
  std::vector<float> a(cols), b(cols);
  for (int64_t r = 0; r < rows; ++r) {
    get_row(kernels_for(best_isa()), w.data(), t, cols, r, a.data());
    get_row(kernels_for(best_isa()), wi.data(), t, cols, r, b.data(), Layout::interleaved16);
    ASSERT_EQ(a, b) << "row " << r;
  }
}

TEST_P(Interleave, RefusesShapesWithoutWholeGroups) {
  const Type t = GetParam();
  const int64_t cols = test_cols(t);
  std::vector<uint8_t> a(row_size(t, cols) * 24), b(a.size() * 2);
  EXPECT_THROW(interleave_rows(t, 24, cols, a.data(), b.data()), Error);
  EXPECT_THROW(interleave_rows(t, 16, cols + 16, a.data(), b.data()), Error);
  EXPECT_THROW(interleaved_size(t, 24, cols), Error);
  EXPECT_FALSE(interleave_pays(kernels_for(best_isa()), t, 24, cols));
  EXPECT_FALSE(interleave_pays(kernels_for(best_isa()), t, 0, cols));
  EXPECT_FALSE(interleave_pays(kernels_for(best_isa()), t, 16, cols + 16));
}

TEST_P(Interleave, EveryPathEqualsTheReferenceAndTracksRowLayout) {
  const Type t = GetParam();
  const int64_t rows = 48, cols = test_cols(t);  // 3 groups
  std::mt19937 rng(static_cast<unsigned>(t) + 11);
  const auto w = normal_weights(t, rows, cols, rng);
  std::vector<uint8_t> wi(interleaved_size(t, rows, cols));
  interleave_rows(t, rows, cols, w.data(), wi.data());
  const size_t ws = row_size(t, cols), wis = wi.size() / rows;
  const KernelTable& scalar = kernel_table(Isa::scalar);
  const TypeKernels& ks = scalar[static_cast<uint32_t>(t)];
  const Type xt = ks.vec_dot_type;
  const size_t xs = row_size(xt, cols);
  ASSERT_NE(ks.gemm_interleaved, nullptr);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  ThreadPool pool(2);
  // Token counts cover every tile width up to 8 (some AVX2 tiles take 8 tokens) and remainders.
  for (int64_t n : {1, 2, 3, 8, 9, 14, 15, 17}) {
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (auto& v : x) v = nd(rng);
    std::vector<uint8_t> xq(xs * n);
    for (int64_t i = 0; i < n; ++i)
      scalar[static_cast<uint32_t>(xt)].from_float_act(x.data() + i * cols, xq.data() + i * xs, cols);
    std::vector<float> ref(static_cast<size_t>(rows * n), NAN);
    ks.gemm_interleaved(cols, wi.data(), wis, rows, xq.data(), xs, n, ref.data(), rows);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t r = 0; r < rows; ++r) {
        const float plain = ks.vec_dot(cols, w.data() + r * ws, xq.data() + i * xs);
        std::vector<float> wf(cols), xf(cols);
        dequantize_row(t, w.data() + r * ws, wf.data(), cols);
        scalar[static_cast<uint32_t>(xt)].to_float(xq.data() + i * xs, xf.data(), cols);
        double mag = 0;
        for (int64_t j = 0; j < cols; ++j) mag += std::fabs(static_cast<double>(wf[j]) * xf[j]);
        EXPECT_NEAR(ref[i * rows + r], plain, kInterleavedVsRowsRelTol * mag + 1e-6)
            << type_name(t) << " n=" << n << " row " << r << " token " << i;
      }
    for (Isa isa : hearth::test::isa_paths()) {
      const TypeKernels& k = kernel_table(isa)[static_cast<uint32_t>(t)];
      std::vector<float> y(ref.size(), NAN);
      k.gemm_interleaved(cols, wi.data(), wis, rows, xq.data(), xs, n, y.data(), rows);
      for (size_t j = 0; j < y.size(); ++j) {
        if (k_quant(t)) {
          // K-quant results are the row-layout kernel's of the same path (which tracks scalar).
          const int64_t i = static_cast<int64_t>(j) / rows, r = static_cast<int64_t>(j) % rows;
          ASSERT_EQ(y[j], k.vec_dot(cols, w.data() + r * ws, xq.data() + i * xs)) << isa_name(isa) << " n=" << n;
        } else {
          ASSERT_EQ(y[j], ref[j]) << type_name(t) << " " << isa_name(isa) << " n=" << n;
        }
      }
      // One token at a time gives the batch's values.
      for (int64_t i = 0; i < n; ++i) {
        std::vector<float> one(static_cast<size_t>(rows), NAN);
        k.gemm_interleaved(cols, wi.data(), wis, rows, xq.data() + i * xs, xs, 1, one.data(), rows);
        for (int64_t r = 0; r < rows; ++r) ASSERT_EQ(one[r], y[i * rows + r]) << isa_name(isa) << " token " << i;
      }
      // Through matmul on two threads, with this path's own activation conversion.
      std::vector<uint8_t> xa(xs * n);
      for (int64_t i = 0; i < n; ++i)
        kernel_table(isa)[static_cast<uint32_t>(xt)].from_float_act(x.data() + i * cols, xa.data() + i * xs, cols);
      std::vector<float> want(ref.size()), got(ref.size(), NAN);
      k.gemm_interleaved(cols, wi.data(), wis, rows, xa.data(), xs, n, want.data(), rows);
      const MatmulOut out{wi.data(), t, rows, got.data(), Layout::interleaved16};
      matmul_shared(kernels_for(isa), std::span<const MatmulOut>(&out, 1), cols, x.data(), n, &pool);
      for (size_t j = 0; j < got.size(); ++j) ASSERT_EQ(got[j], want[j]) << isa_name(isa) << " matmul n=" << n;
    }
  }
}

TEST_P(Interleave, MatmulRefusesRowsOutsideWholeGroups) {
  const Type t = GetParam();
  const int64_t cols = test_cols(t);
  std::vector<uint8_t> w(row_size(t, cols) * 24);
  std::vector<float> x(cols, 1.0f), y(24);
  const MatmulOut out{w.data(), t, 24, y.data(), Layout::interleaved16};
  EXPECT_THROW(matmul_shared(kernels_for(best_isa()), std::span<const MatmulOut>(&out, 1), cols, x.data(), 1, nullptr), Error);
}

TEST(InterleaveTypes, OnlyQ4_0Q8_0Q4_KQ5_KAndQ6_KHaveTheLayout) {
  std::vector<uint8_t> a(row_size(Type::Q3_K, 256) * 16), b(a.size());
  EXPECT_THROW(interleave_rows(Type::Q3_K, 16, 256, a.data(), b.data()), Error);
  EXPECT_FALSE(interleave_pays(kernels_for(best_isa()), Type::Q3_K, 16, 256));
  EXPECT_FALSE(interleave_pays(kernels_for(best_isa()), Type::F16, 16, 256));
  // The SIMD paths are faster in this layout; the scalar reference is slower than row layout.
  for (Type t : {Type::Q4_0, Type::Q8_0, Type::Q4_K, Type::Q5_K, Type::Q6_K}) {
    EXPECT_FALSE(kernel_table(Isa::scalar)[static_cast<uint32_t>(t)].interleave_pays);
    for (Isa isa : hearth::test::isa_paths(false))
      EXPECT_TRUE(kernel_table(isa)[static_cast<uint32_t>(t)].interleave_pays) << isa_name(isa);
  }
}

INSTANTIATE_TEST_SUITE_P(Types, Interleave, ::testing::Values(Type::Q4_0, Type::Q8_0, Type::Q4_K, Type::Q5_K, Type::Q6_K),
                         [](const auto& info) { return std::string(type_name(info.param)); });

}  // namespace
