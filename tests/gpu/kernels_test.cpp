// The GPU kernels against the CPU's scalar reference: matvec (F32, F16) as tensor::matmul with one
// activation row, RMSNorm as model::rms_norm, on shapes that are not multiples of the workgroup
// (ragged K, K = 1, more rows than one dispatch dimension holds), with both reduction builds.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "gpu/kernels.h"
#include "gpu_fixture.h"
#include "model/rmsnorm.h"
#include "tensor/dispatch.h"
#include "tensor/ops.h"

namespace {
using namespace hearth;
using hearth::test::GpuTest;
using hearth::test::download;
using hearth::test::upload;

// Error bounds relative to sum |w_i x_i| (a dot product's natural scale): F32 differs from the
// CPU in summation order only; F16 as well, plus the rounding of x to F16 on each side.
constexpr double kF32RelTol = 1e-5;
constexpr double kF16RelTol = 1e-3;
constexpr double kRmsNormRelTol = 1e-5;

struct Shape {
  int64_t rows, k;
};
const Shape kShapes[] = {{1, 1}, {3, 1}, {7, 5}, {16, 127}, {33, 128}, {5, 129}, {64, 1000}, {2, 4097}, {70000, 3}};

using hearth::test::random_floats;

class GpuKernels : public GpuTest, public ::testing::WithParamInterface<bool> {};

void check_matvec(gpu::Context& ctx, const gpu::Kernels& kernels, tensor::Type type, Shape s, double tol) {
  SCOPED_TRACE(std::string(tensor::type_name(type)) + " " + std::to_string(s.rows) + "x" + std::to_string(s.k));
  std::mt19937 rng(static_cast<unsigned>(s.rows * 131 + s.k));
  const std::vector<float> wf = random_floats(s.rows * s.k, rng), x = random_floats(s.k, rng);
  std::vector<uint8_t> w(tensor::row_size(type, s.k) * s.rows);
  tensor::quantize_row(type, wf.data(), w.data(), s.rows * s.k);
  std::vector<float> want(s.rows);
  tensor::matmul(tensor::kernels_for(tensor::Isa::scalar), w.data(), type, s.rows, s.k, x.data(), 1, want.data(), nullptr);

  gpu::Buffer wb = upload(ctx, w), xb = upload(ctx, x), yb(ctx, s.rows * sizeof(float));
  gpu::Sequence seq(ctx);
  kernels.matvec(seq, wb, type, s.rows, s.k, xb, yb);
  seq.run();
  const std::vector<float> got = download(yb, s.rows);
  std::vector<float> wrow(s.k);
  int bad = 0;
  for (int64_t r = 0; r < s.rows && bad < 5; ++r) {
    tensor::dequantize_row(type, &w[tensor::row_size(type, s.k) * r], wrow.data(), s.k);
    double scale = 0;
    for (int64_t i = 0; i < s.k; ++i) scale += std::fabs(static_cast<double>(wrow[i]) * x[i]);
    if (std::fabs(got[r] - want[r]) > tol * scale + 1e-30) {
      ADD_FAILURE() << "row " << r << ": gpu " << got[r] << " cpu " << want[r] << " (scale " << scale << ")";
      ++bad;
    }
  }
}

TEST_P(GpuKernels, MatvecF32MatchesTheCpu) {
  const gpu::Kernels kernels(ctx(), {.subgroups = GetParam()});
  for (Shape s : kShapes) check_matvec(ctx(), kernels, tensor::Type::F32, s, kF32RelTol);
}

TEST_P(GpuKernels, MatvecF16MatchesTheCpu) {
  const gpu::Kernels kernels(ctx(), {.subgroups = GetParam()});
  for (Shape s : kShapes) check_matvec(ctx(), kernels, tensor::Type::F16, s, kF16RelTol);
}

TEST_P(GpuKernels, RmsNormMatchesTheCpu) {
  const gpu::Kernels kernels(ctx(), {.subgroups = GetParam()});
  const auto& cpu = tensor::kernels_for(tensor::Isa::scalar);
  const float eps = 1e-5f;
  std::mt19937 rng(3);
  for (Shape s : {Shape{1, 1}, Shape{1, 7}, Shape{3, 128}, Shape{2, 129}, Shape{4, 4096}, Shape{70000, 2}}) {
    for (bool scaled : {true, false}) {
      for (bool in_place : {false, true}) {
        SCOPED_TRACE(std::to_string(s.rows) + "x" + std::to_string(s.k) + (scaled ? " scaled" : "") +
                     (in_place ? " in place" : ""));
        const std::vector<float> x = random_floats(s.rows * s.k, rng), w = random_floats(s.k, rng);
        std::vector<float> want(x.size());
        for (int64_t r = 0; r < s.rows; ++r)
          model::rms_norm(cpu, &x[r * s.k], scaled ? w.data() : nullptr, &want[r * s.k], s.k, eps);
        gpu::Buffer xb = upload(ctx(), x), wb = upload(ctx(), w), yb(ctx(), x.size() * sizeof(float));
        gpu::Sequence seq(ctx());
        kernels.rms_norm(seq, xb, scaled ? &wb : nullptr, in_place ? xb : yb, s.k, s.rows, eps);
        seq.run();
        const std::vector<float> got = download(in_place ? xb : yb, x.size());
        int bad = 0;
        for (size_t i = 0; i < x.size() && bad < 5; ++i)
          if (std::fabs(got[i] - want[i]) > kRmsNormRelTol * std::max(1.0f, std::fabs(want[i]))) {
            ADD_FAILURE() << "element " << i << ": gpu " << got[i] << " cpu " << want[i];
            ++bad;
          }
      }
    }
  }
}

// Commands in one Sequence run in order: a norm feeding a product, the way a layer chains them.
TEST_P(GpuKernels, ChainedKernelsSeeEachOthersResults) {
  const gpu::Kernels kernels(ctx(), {.subgroups = GetParam()});
  const auto& cpu = tensor::kernels_for(tensor::Isa::scalar);
  const int64_t rows = 40, k = 300;
  std::mt19937 rng(11);
  const std::vector<float> x = random_floats(k, rng), g = random_floats(k, rng), w = random_floats(rows * k, rng);
  std::vector<float> h(k), want(rows);
  model::rms_norm(cpu, x.data(), g.data(), h.data(), k, 1e-6f);
  tensor::matmul(cpu, w.data(), tensor::Type::F32, rows, k, h.data(), 1, want.data(), nullptr);

  gpu::Buffer xb = upload(ctx(), x), gb = upload(ctx(), g), wb = upload(ctx(), w);
  gpu::Buffer hb(ctx(), k * sizeof(float)), yb(ctx(), rows * sizeof(float));
  gpu::Sequence seq(ctx());
  for (int round = 0; round < 2; ++round) {  // a Sequence runs again after run()
    kernels.rms_norm(seq, xb, &gb, hb, k, 1, 1e-6f);
    kernels.matvec(seq, wb, tensor::Type::F32, rows, k, hb, yb);
    seq.run();
    const std::vector<float> got = download(yb, rows);
    for (int64_t r = 0; r < rows; ++r) EXPECT_NEAR(got[r], want[r], 1e-4 * (1 + std::fabs(want[r]))) << "row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Reductions, GpuKernels, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Subgroup" : "SharedMemory"; });

TEST_F(GpuTest, BadShapesAreClearErrors) {
  const gpu::Kernels kernels(ctx());
  gpu::Buffer w(ctx(), 4 * 8 * sizeof(float)), x(ctx(), 8 * sizeof(float)), y(ctx(), 4 * sizeof(float));
  gpu::Sequence seq(ctx());
  const auto code = [&](auto&& f) { return test::error_code(f, "gpu "); };
  EXPECT_EQ(code([&] { kernels.matvec(seq, w, tensor::Type::F32, 5, 8, x, y); }), Errc::invalid_argument);  // W too small
  EXPECT_EQ(code([&] { kernels.matvec(seq, w, tensor::Type::F32, 4, 9, x, y); }), Errc::invalid_argument);  // x too short
  EXPECT_EQ(code([&] { kernels.matvec(seq, w, tensor::Type::F32, 4, 0, x, y); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { kernels.matvec(seq, w, tensor::Type::IQ3_S, 4, 256, x, y); }), Errc::unsupported);
  EXPECT_EQ(code([&] { kernels.rms_norm(seq, x, &y, x, 8, 1, 1e-5f); }), Errc::invalid_argument);  // w shorter than n
  EXPECT_EQ(code([&] { kernels.rms_norm(seq, x, nullptr, y, 8, 2, 1e-5f); }), Errc::invalid_argument);
  EXPECT_TRUE(seq.empty());  // nothing was recorded
}

}  // namespace
