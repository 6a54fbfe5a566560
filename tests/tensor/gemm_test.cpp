// The register-tiled matmul kernels (TypeKernels::gemm) against the per-pair vec_dot of the same
// ISA path (bit for bit: tiling must not change a result) and against the scalar reference
// (named tolerance), over shapes whose rows and tokens leave partial tiles at every edge.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "support/isa_paths.h"
#include "core/thread_pool.h"
#include "tensor/blocks.h"
#include "tensor/dispatch.h"
#include "tensor/fp16.h"
#include "tensor/ops.h"

namespace {
using namespace hearth;
using namespace hearth::tensor;

// SIMD vs scalar: same integer sums, different float summation order; relative to sum |w x|.
constexpr double kGemmVsScalarRelTol = 2e-5;

const Type kTypes[] = {Type::F16, Type::Q8_0, Type::Q4_0, Type::Q4_K, Type::Q6_K};

std::vector<uint8_t> quantized_rows(Type t, int64_t rows, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> f(static_cast<size_t>(rows * cols));
  for (auto& v : f) v = nd(rng);
  std::vector<uint8_t> w(row_size(t, cols) * rows);
  for (int64_t r = 0; r < rows; ++r) quantize_row(t, f.data() + r * cols, w.data() + r * row_size(t, cols), cols);
  return w;
}

class Gemm : public ::testing::TestWithParam<Type> {};

TEST_P(Gemm, TilesEqualVecDotAndMatchScalar) {
  const Type t = GetParam();
  const int64_t cols = 768;
  std::mt19937 rng(static_cast<unsigned>(t) * 7 + 1);
  // 37 and 38 rows leave 1 and 2 rows at the edge of 2-, 3- and 4-row tiles.
  for (int64_t rows : {37, 38}) {
    const auto w = quantized_rows(t, rows, cols, rng);
    const size_t ws = row_size(t, cols);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    ThreadPool pool(2);
    const KernelTable& scalar = kernel_table(Isa::scalar);
    const TypeKernels& ks = scalar[static_cast<uint32_t>(t)];
    const Type xt = ks.vec_dot_type;
    const size_t xs = row_size(xt, cols);
    for (Isa isa : hearth::test::isa_paths(false)) {
      const TypeKernels& k = kernel_table(isa)[static_cast<uint32_t>(t)];
      if (!k.gemm) continue;
      for (int64_t n : {1, 3, 4, 6, 9}) {
        std::vector<float> x(static_cast<size_t>(n * cols));
        for (auto& v : x) v = nd(rng);
        // Activations converted once, by this path's converter, for both kernels.
        std::vector<uint8_t> xq(xs * n);
        for (int64_t i = 0; i < n; ++i)
          kernel_table(isa)[static_cast<uint32_t>(xt)].from_float_act(x.data() + i * cols, xq.data() + i * xs, cols);
        std::vector<float> y(static_cast<size_t>(rows * n), NAN);
        k.gemm(cols, w.data(), ws, rows, xq.data(), xs, n, y.data(), rows);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t r = 0; r < rows; ++r) {
            const float* xi = x.data() + i * cols;
            const float expect = k.vec_dot(cols, w.data() + r * ws, xq.data() + i * xs);
            ASSERT_EQ(y[i * rows + r], expect) << type_name(t) << " " << isa_name(isa) << " n=" << n << " row " << r
                                               << " token " << i;
            // Scalar reference on the scalar path's own activation conversion.
            std::vector<uint8_t> xr(xs);
            scalar[static_cast<uint32_t>(xt)].from_float_act(xi, xr.data(), cols);
            const float ref = ks.vec_dot(cols, w.data() + r * ws, xr.data());
            std::vector<float> wf(cols), xf(cols);
            dequantize_row(t, w.data() + r * ws, wf.data(), cols);
            scalar[static_cast<uint32_t>(xt)].to_float(xr.data(), xf.data(), cols);
            double mag = 0;
            for (int64_t j = 0; j < cols; ++j) mag += std::fabs(static_cast<double>(wf[j]) * xf[j]);
            EXPECT_NEAR(y[i * rows + r], ref, kGemmVsScalarRelTol * mag + 1e-6)
                << type_name(t) << " " << isa_name(isa) << " n=" << n << " row " << r << " token " << i;
          }
        // Through matmul with two threads: same values (work items never change a result).
        std::vector<float> y2(static_cast<size_t>(rows * n));
        matmul(kernels_for(isa), w.data(), t, rows, cols, x.data(), n, y2.data(), &pool);
        for (size_t j = 0; j < y.size(); ++j) ASSERT_EQ(y2[j], y[j]) << type_name(t) << " " << isa_name(isa);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, Gemm, ::testing::ValuesIn(kTypes),
                         [](const auto& info) { return std::string(type_name(info.param)); });

}  // namespace
