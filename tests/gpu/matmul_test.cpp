// gpu::Kernels::matmul for every weight type with a kernel (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1, Q2_K-Q6_K, IQ4_NL, IQ4_XS, MXFP4)
// against the weights as tensor::dequantize_row gives them, dotted with x in double: one block
// and several, ragged K for the float types, 1 to 17 columns (one to three column groups, full
// and partial), one row and more rows than one dispatch dimension holds, both reduction builds.
// The integer-dot matmuls (Q8_0, Q4_0, Q3_K, Q4_K, Q5_K, Q6_K) likewise, against x rounded as
// the CPU rounds it. Then the inputs both must refuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "gpu/kernels.h"
#include "gpu_fixture.h"
#include "tensor/dispatch.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"
#include "tensor/ops.h"
#include "tensor/types.h"

namespace {
using namespace hearth;
using hearth::test::GpuTest;
using tensor::Type;

// Error bounds relative to sum |w_i x_i|: the kernels differ from the reference in float
// summation order (and the quantized ones in how multiply-adds of the dequantization fuse).
// F16 keeps the bound of the CPU comparison in kernels_test.cpp, which covers a different
// rounding of x; here the reference rounds x to F16 as the kernel does.
double tolerance(Type type) {
  if (type == Type::F32) return 1e-5;
  if (type == Type::F16) return 1e-3;
  return 1e-4;
}

struct MatmulShape {
  int64_t rows, k, n;
};

// Shapes in units of the block size B (1 for F32 and F16), plus ragged ones for the float types.
std::vector<MatmulShape> shapes(Type type) {
  const int64_t B = tensor::traits(type).block_size;
  std::vector<MatmulShape> s = {{1, B, 1},   {1, 3 * B, 17},  {3, B, 3},      {5, 2 * B, 8},
                          {7, 4 * B, 9}, {33, B, 17},   {16, 16 * B, 1}, {2, 16 * B, 9}};
  if (B == 1) s.insert(s.end(), {{4, 127, 3}, {9, 129, 9}, {3, 1000, 17}, {2, 4097, 8}, {3, 333, 1}});
  else s.push_back({3, 40 * B, 9});  // more block pieces than the workgroup has invocations
  return s;
}

// More rows than one dispatch dimension holds (65535 workgroups): odd k for the float types, so
// F16 and BF16 rows start mid-word. About half a second per build and type on lavapipe, so it runs in the
// subgroup build only, except for F32: the row split is the same code in both builds, and F32
// covers the plain build's reduction at those rows.
MatmulShape tall_shape(Type type) {
  const int64_t B = tensor::traits(type).block_size;
  return {65537, B == 1 ? 3 : B, 2};
}

// At most this many distinct weight rows: larger matrices repeat them (row r is row r % kDistinct),
// which keeps quantizing 65537-row matrices cheap while a row read from the wrong place still
// shows (65535 and 65536 are not multiples of it).
constexpr int64_t kDistinct = 97;

using hearth::test::random_floats;

// `n` elements of `type` made from wf: quantized, or for MXFP4, which hearth reads but does not
// write, random blocks with E8M0 scales near 2^-3 (never the NaN code 255).
std::vector<uint8_t> make_weights(Type type, const std::vector<float>& wf, int64_t n, std::mt19937& rng) {
  std::vector<uint8_t> w(tensor::row_size(type, n));
  if (type != Type::MXFP4) {
    tensor::quantize_row(type, wf.data(), w.data(), n);
    return w;
  }
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint8_t>(i % 17 == 0 ? 120 + byte(rng) % 10 : byte(rng));
  return w;
}

// x rounded as the CPU rounds the activations of `type`'s dot (Q8_0 or Q8_K codes times their
// scale), row by row of k: what the integer-dot matmul multiplies.
std::vector<float> cpu_rounded_activations(Type type, const std::vector<float>& x) {
  const Type act = test::cpu_entry(type).vec_dot_type;
  return test::cpu_dequantize(act, test::cpu_quantize(act, x), x.size());
}

// One case: a weight type, the subgroup build or the plain one, and the integer-dot matmul
// (matmul_quantized, with quantize_activations before it) or the float one.
struct MatmulCase {
  Type type;
  bool subgroups, quantized;
};

std::vector<MatmulCase> matmul_cases() {
  std::vector<MatmulCase> c;
  for (const bool sg : {false, true})
    for (const Type type : {Type::F32, Type::F16, Type::BF16, Type::Q8_0, Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1,
                            Type::Q2_K, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K, Type::IQ4_NL, Type::IQ4_XS,
                            Type::MXFP4}) {
      if (gpu::Kernels::has_matmul(type)) c.push_back({type, sg, false});
      if (gpu::Kernels::has_matmul_quantized(type)) c.push_back({type, sg, true});
    }
  return c;
}

class GpuMatmul : public GpuTest, public ::testing::WithParamInterface<MatmulCase> {
 protected:
  bool quantized() const { return GetParam().quantized; }

  void check() {
    const MatmulCase& mc = GetParam();
    const gpu::Kernels kernels(ctx(), {.subgroups = mc.subgroups,
                                       .integer_dot = mc.quantized ? gpu::IntegerDot::on : gpu::IntegerDot::off});
    if (mc.quantized && !kernels.uses_integer_dot()) {
      // lavapipe has it, so CI always runs these.
      if (test::under_ci()) FAIL() << ctx().info().name << " has no integer dot product";
      GTEST_SKIP() << ctx().info().name << " has no integer dot product, skipping";
    }
    for (const MatmulShape& s : shapes(mc.type)) check(kernels, mc.type, s);
    if (mc.subgroups || mc.type == Type::F32) check(kernels, mc.type, tall_shape(mc.type));
    const int64_t B = tensor::traits(mc.type).block_size;
    for (const MatmulShape& s : {MatmulShape{3, 2 * B, 9}, MatmulShape{5, B, 1}}) check_slice(kernels, mc.type, s);
  }

  // Runs the matmul on one matrix of a stack (rows from w_row0) and one run of columns of x and
  // y (from col0), as a mixture's experts do: the same bits as the matrix and columns alone, and
  // no column of y outside the run written.
  void check_slice(const gpu::Kernels& kernels, Type type, MatmulShape s) {
    SCOPED_TRACE(std::string("slice of ") + std::string(tensor::type_name(type)) + " " + std::to_string(s.rows) +
                 " x " + std::to_string(s.k) + " by " + std::to_string(s.n));
    std::mt19937 rng(static_cast<unsigned>(s.rows * 31 + s.n));
    const int64_t experts = 3, expert = 1, col0 = 2, cols = col0 + s.n + 1;
    const size_t row_bytes = tensor::row_size(type, s.k);
    const std::vector<float> wf = random_floats(experts * s.rows * s.k, rng), x = random_floats(cols * s.k, rng);
    const std::vector<uint8_t> stack = make_weights(type, wf, experts * s.rows * s.k, rng);
    const std::vector<uint8_t> one(stack.begin() + expert * s.rows * row_bytes,
                                   stack.begin() + (expert + 1) * s.rows * row_bytes);
    const std::vector<float> xs(x.begin() + col0 * s.k, x.begin() + (col0 + s.n) * s.k);
    const auto run = [&](const std::vector<uint8_t>& w, const std::vector<float>& xin, int64_t n_all,
                         gpu::MatmulSlice at) {
      gpu::Buffer wb(ctx(), w.size()), xb(ctx(), xin.size() * sizeof(float));
      wb.upload(w.data(), w.size());
      xb.upload(xin.data(), xin.size() * sizeof(float));
      std::vector<float> y(n_all * s.rows, 12345.0f);
      gpu::Buffer yb(ctx(), y.size() * sizeof(float));
      yb.upload(y.data(), y.size() * sizeof(float));
      gpu::Sequence seq(ctx());
      if (quantized()) {
        const Type act = tensor::traits(type).block_size == 256 ? Type::Q8_K : Type::Q8_0;
        gpu::Buffer codes(ctx(), n_all * s.k), scales(ctx(), n_all * s.k / 32 * sizeof(float));
        kernels.quantize_activations(seq, xb, codes, scales, n_all * s.k, act);
        kernels.matmul_quantized(seq, wb, type, s.rows, s.k, codes, scales, yb, s.n, at);
        seq.run();  // while codes and scales live
      } else {
        kernels.matmul(seq, wb, type, s.rows, s.k, xb, yb, s.n, at);
        seq.run();
      }
      yb.download(y.data(), y.size() * sizeof(float));
      return y;
    };
    const std::vector<float> whole = run(one, xs, s.n, {});
    const std::vector<float> sliced = run(stack, x, cols, {expert * s.rows, col0});
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t r = 0; r < s.rows; ++r) {
        const float g = sliced[c * s.rows + r];
        if (c < col0 || c >= col0 + s.n) EXPECT_EQ(g, 12345.0f) << "column " << c << " outside the slice was written";
        else EXPECT_EQ(g, whole[(c - col0) * s.rows + r]) << "row " << r << " column " << c;
      }
  }

  void check(const gpu::Kernels& kernels, Type type, MatmulShape s) {
    SCOPED_TRACE(std::string(tensor::type_name(type)) + " " + std::to_string(s.rows) + " x " + std::to_string(s.k) +
                 " by " + std::to_string(s.n));
    std::mt19937 rng(static_cast<unsigned>(s.rows * 7919 + s.k * 31 + s.n));
    const int64_t distinct = std::min(s.rows, kDistinct);
    const size_t row_bytes = tensor::row_size(type, s.k);
    const std::vector<float> wf = random_floats(distinct * s.k, rng), x = random_floats(s.n * s.k, rng);
    const std::vector<uint8_t> wq = make_weights(type, wf, distinct * s.k, rng);
    std::vector<uint8_t> w(row_bytes * s.rows);
    for (int64_t r = 0; r < s.rows; ++r) std::memcpy(&w[r * row_bytes], &wq[(r % distinct) * row_bytes], row_bytes);

    // The reference: the dequantized weights dotted with x (rounded to F16 for F16 weights, as
    // the kernel does) in double, and the scale of each dot, sum |w_i x_i|.
    std::vector<float> wd(distinct * s.k), xr = x;
    tensor::dequantize_row(type, wq.data(), wd.data(), distinct * s.k);
    if (type == Type::F16)
      for (float& v : xr) v = tensor::fp16_to_fp32(tensor::fp32_to_fp16(v));
    if (quantized()) xr = cpu_rounded_activations(type, x);
    std::vector<double> want(distinct * s.n), scale(distinct * s.n);
    for (int64_t c = 0; c < s.n; ++c)
      for (int64_t r = 0; r < distinct; ++r) {
        double sum = 0, abs = 0;
        for (int64_t i = 0; i < s.k; ++i) {
          const double p = static_cast<double>(wd[r * s.k + i]) * xr[c * s.k + i];
          sum += p;
          abs += std::fabs(p);
        }
        want[c * distinct + r] = sum;
        scale[c * distinct + r] = abs;
      }

    gpu::Buffer wb(ctx(), w.size()), xb(ctx(), x.size() * sizeof(float));
    wb.upload(w.data(), w.size());
    xb.upload(x.data(), x.size() * sizeof(float));
    // y has a tail past n * rows that must stay as it was.
    const size_t ny = s.n * s.rows, tail = 8;
    std::vector<float> got(ny + tail, 12345.0f);
    gpu::Buffer yb(ctx(), got.size() * sizeof(float));
    yb.upload(got.data(), got.size() * sizeof(float));
    gpu::Sequence seq(ctx());
    if (quantized()) {
      const Type act = tensor::traits(type).block_size == 256 ? Type::Q8_K : Type::Q8_0;
      gpu::Buffer codes(ctx(), s.n * s.k), scales(ctx(), s.n * s.k / 32 * sizeof(float));
      kernels.quantize_activations(seq, xb, codes, scales, s.n * s.k, act);
      kernels.matmul_quantized(seq, wb, type, s.rows, s.k, codes, scales, yb, s.n);
      seq.run();
    } else {
      kernels.matmul(seq, wb, type, s.rows, s.k, xb, yb, s.n);
      seq.run();
    }
    yb.download(got.data(), got.size() * sizeof(float));

    // The integer-dot matmul has the CPU's products exactly (up to the float product of the two
    // scales), summed in another order.
    const double tol = quantized() ? 1e-5 : tolerance(type);
    int bad = 0;
    for (int64_t c = 0; c < s.n && bad < 5; ++c)
      for (int64_t r = 0; r < s.rows && bad < 5; ++r) {
        const size_t ref = c * distinct + r % distinct;
        const float g = got[c * s.rows + r];
        if (!(std::fabs(g - want[ref]) <= tol * scale[ref] + 1e-30)) {
          ADD_FAILURE() << "row " << r << " column " << c << ": gpu " << g << ", reference " << want[ref]
                        << " (scale " << scale[ref] << ")";
          ++bad;
        }
      }
    for (size_t i = ny; i < got.size(); ++i) EXPECT_EQ(got[i], 12345.0f) << "written past y: element " << i;
  }
};

TEST_P(GpuMatmul, MatchesTheReference) { check(); }

INSTANTIATE_TEST_SUITE_P(Types, GpuMatmul, ::testing::ValuesIn(matmul_cases()), [](const auto& info) {
  return std::string(tensor::type_name(info.param.type)) + (info.param.subgroups ? "_Subgroup" : "_SharedMemory") +
         (info.param.quantized ? "_IntegerDot" : "_Float");
});

TEST(GpuMatmulTypes, HasMatmulNamesTheKernelTypes) {
  for (Type t : {Type::F32, Type::F16, Type::BF16, Type::Q8_0, Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1,
                 Type::Q2_K, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K, Type::IQ4_NL, Type::IQ4_XS, Type::MXFP4})
    EXPECT_TRUE(gpu::Kernels::has_matmul(t)) << tensor::type_name(t);
  for (Type t : {Type::IQ3_S, Type::IQ2_XXS})
    EXPECT_FALSE(gpu::Kernels::has_matmul(t)) << tensor::type_name(t);
}

TEST(GpuMatmulTypes, HasMatmulQuantizedNamesTheIntegerDotTypes) {
  for (Type t : {Type::Q8_0, Type::Q4_0, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K})
    EXPECT_TRUE(gpu::Kernels::has_matmul_quantized(t)) << tensor::type_name(t);
  for (Type t : {Type::F32, Type::F16, Type::Q4_1, Type::Q5_0, Type::Q2_K, Type::IQ4_XS})
    EXPECT_FALSE(gpu::Kernels::has_matmul_quantized(t)) << tensor::type_name(t);
}

TEST_F(GpuTest, MatmulQuantizedRefusesBadInputs) {
  const gpu::Kernels kernels(ctx(), {.integer_dot = gpu::IntegerDot::on});
  const gpu::Kernels no_dot(ctx(), {.integer_dot = gpu::IntegerDot::off});
  EXPECT_FALSE(no_dot.uses_integer_dot());
  gpu::Buffer big(ctx(), 4096 * sizeof(float)), small(ctx(), 16);
  gpu::Sequence seq(ctx());
  const auto code = [&](auto&& f) { return test::error_code(f, "gpu matmul_quantized"); };
  // Turned off (or a device without it), and types without an integer-dot kernel.
  EXPECT_EQ(code([&] { no_dot.matmul_quantized(seq, big, Type::Q8_0, 2, 64, big, big, big, 1); }), Errc::unsupported);
  EXPECT_EQ(code([&] { kernels.matmul_quantized(seq, big, Type::F16, 2, 64, big, big, big, 1); }), Errc::unsupported);
  EXPECT_EQ(code([&] { kernels.matmul_quantized(seq, big, Type::Q2_K, 1, 256, big, big, big, 1); }), Errc::unsupported);
  if (kernels.uses_integer_dot()) {
    // k not a multiple of the block, codes (2 x 64 bytes) and scales (2 x 2 floats) too small.
    EXPECT_EQ(code([&] { kernels.matmul_quantized(seq, big, Type::Q4_K, 1, 128, big, big, big, 1); }),
              Errc::invalid_argument);
    EXPECT_EQ(code([&] { kernels.matmul_quantized(seq, big, Type::Q8_0, 2, 64, small, big, big, 2); }),
              Errc::invalid_argument);
    EXPECT_EQ(code([&] { kernels.matmul_quantized(seq, big, Type::Q8_0, 2, 64, big, small, big, 3); }),
              Errc::invalid_argument);
    EXPECT_EQ(code([&] { kernels.matmul_quantized(seq, small, Type::Q8_0, 2, 64, big, big, big, 1); }),
              Errc::invalid_argument);
  }
  EXPECT_TRUE(seq.empty());
}

TEST_F(GpuTest, MatmulRefusesBadInputs) {
  const gpu::Kernels kernels(ctx());
  // Room for 4 rows of 64 Q4_0 elements (4 * 36 bytes), 2 columns of x, 2 x 4 outputs.
  gpu::Buffer w(ctx(), 4 * 36), x(ctx(), 2 * 64 * sizeof(float)), y(ctx(), 2 * 4 * sizeof(float));
  gpu::Buffer big(ctx(), 4096 * sizeof(float));
  gpu::Sequence seq(ctx());
  const auto code = [&](auto&& f) { return test::error_code(f, "gpu matmul"); };
  gpu::Sequence fits(ctx());
  EXPECT_NO_THROW(kernels.matmul(fits, w, Type::Q4_0, 4, 64, x, y, 2));  // the shape the buffers hold
  EXPECT_EQ(code([&] { kernels.matmul(seq, w, Type::Q4_0, 5, 64, x, y, 1); }), Errc::invalid_argument);  // W
  EXPECT_EQ(code([&] { kernels.matmul(seq, w, Type::Q4_0, 4, 64, x, big, 3); }), Errc::invalid_argument);  // x
  EXPECT_EQ(code([&] { kernels.matmul(seq, w, Type::Q4_0, 4, 64, big, y, 3); }), Errc::invalid_argument);  // y
  // Slices: W's rows from 1 (5 rows in all), x's and y's columns from 1 (3 in all).
  EXPECT_NO_THROW(kernels.matmul(fits, w, Type::Q4_0, 2, 64, x, y, 1, {.w_row0 = 2, .col0 = 1}));
  EXPECT_EQ(code([&] { kernels.matmul(seq, w, Type::Q4_0, 4, 64, x, y, 1, {.w_row0 = 1}); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { kernels.matmul(seq, w, Type::Q4_0, 4, 64, x, big, 2, {.col0 = 1}); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { kernels.matmul(seq, w, Type::Q4_0, 4, 64, big, y, 2, {.col0 = 1}); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { kernels.matmul(seq, w, Type::Q4_0, 4, 64, x, y, 1, {.w_row0 = -1}); }), Errc::invalid_argument);
  // k not a multiple of the block size: part of a block cannot be read.
  EXPECT_EQ(code([&] { kernels.matmul(seq, big, Type::Q8_0, 2, 48, big, big, 1); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { kernels.matmul(seq, big, Type::Q4_K, 2, 128, big, big, 1); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { kernels.matmul(seq, big, Type::Q6_K, 1, 300, big, big, 1); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { kernels.matmul(seq, big, Type::F32, 4, 8, big, big, 0); }), Errc::invalid_argument);  // n = 0
  EXPECT_EQ(code([&] { kernels.matmul(seq, big, Type::IQ3_S, 1, 256, big, big, 1); }), Errc::unsupported);
  EXPECT_EQ(code([&] { kernels.matmul(seq, big, Type::IQ2_XXS, 1, 256, big, big, 1); }), Errc::unsupported);
  EXPECT_TRUE(seq.empty());  // nothing was recorded
}

}  // namespace
