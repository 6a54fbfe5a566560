// Quantize/dequantize round trips on synthetic data, for every type quantize_row supports.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "tensor/blocks.h"
#include "tensor/ops.h"

namespace {
using namespace hearth::tensor;

struct RoundTrip {
  Type type;
  double max_rel_rmse;  // sqrt(sum err^2 / sum x^2) on normally distributed data
};

class QuantRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(QuantRoundTrip, RelativeRmseWithinBound) {
  const RoundTrip p = GetParam();
  const int64_t n = 4096;
  std::mt19937 rng(1234);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(n), y(n);
  for (auto& v : x) v = g(rng);
  std::vector<uint8_t> q(row_size(p.type, n));
  quantize_row(p.type, x.data(), q.data(), n);
  dequantize_row(p.type, q.data(), y.data(), n);
  double err = 0, ref = 0;
  for (int64_t i = 0; i < n; ++i) {
    err += (static_cast<double>(y[i]) - x[i]) * (static_cast<double>(y[i]) - x[i]);
    ref += static_cast<double>(x[i]) * x[i];
  }
  RecordProperty("rel_rmse", std::to_string(std::sqrt(err / ref)));
  EXPECT_LT(std::sqrt(err / ref), p.max_rel_rmse) << type_name(p.type);
  // Quantizing is deterministic.
  std::vector<uint8_t> q2(q.size());
  quantize_row(p.type, x.data(), q2.data(), n);
  EXPECT_EQ(q, q2);
}

TEST_P(QuantRoundTrip, ZeroInputGivesZeroOutput) {
  const Type t = GetParam().type;
  const int64_t n = 512;
  std::vector<float> x(n, 0.0f), y(n, 1.0f);
  std::vector<uint8_t> q(row_size(t, n), 0xaa);
  quantize_row(t, x.data(), q.data(), n);
  dequantize_row(t, q.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 0.0f) << type_name(t) << " index " << i;
}

// Bounds are ~1.25x the measured error for this N(0,1) sample.
INSTANTIATE_TEST_SUITE_P(
    Types, QuantRoundTrip,
    ::testing::Values(RoundTrip{Type::F16, 2.6e-4}, RoundTrip{Type::BF16, 2.1e-3}, RoundTrip{Type::Q8_0, 0.007},
                      RoundTrip{Type::Q8_1, 0.007}, RoundTrip{Type::Q8_K, 0.009}, RoundTrip{Type::Q5_0, 0.055},
                      RoundTrip{Type::Q5_1, 0.048}, RoundTrip{Type::Q4_0, 0.11}, RoundTrip{Type::Q4_1, 0.1},
                      RoundTrip{Type::Q6_K, 0.023}, RoundTrip{Type::Q5_K, 0.046}, RoundTrip{Type::Q4_K, 0.092},
                      RoundTrip{Type::Q3_K, 0.19}, RoundTrip{Type::Q2_K, 0.375}),
    [](const auto& info) { return std::string(type_name(info.param.type)); });

TEST(Quant, Q8KBlockSumsMatchCodes) {
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) * 3.0f;
  BlockQ8_K b;
  quantize_row(Type::Q8_K, x.data(), &b, 256);
  for (int s = 0; s < 16; ++s) {
    int sum = 0;
    for (int l = 0; l < 16; ++l) sum += b.qs[s * 16 + l];
    EXPECT_EQ(b.bsums[s], sum) << "group " << s;
  }
  int amax = 0;
  for (int8_t q : b.qs) amax = std::max(amax, std::abs(static_cast<int>(q)));
  EXPECT_EQ(amax, 127);  // the largest magnitude maps to the end of the range
}

TEST(Quant, Q4_0ReferenceRoundsLikeGgml) {
  // Largest magnitude -8 maps to code 0 exactly; scale = max / -8 keeps its sign.
  std::vector<float> x(32, 0.0f);
  x[0] = -8.0f;
  x[1] = 4.0f;
  x[2] = 0.5f;   // 0.5 * id + 8.5 = 8.0 -> code 8 (trunc), value 0
  x[16] = 7.0f;  // clamps to 15
  BlockQ4_0 b;
  quantize_row(Type::Q4_0, x.data(), &b, 32);
  std::vector<float> y(32);
  dequantize_row(Type::Q4_0, &b, y.data(), 32);
  EXPECT_EQ(y[0], -8.0f);
  EXPECT_EQ(y[1], 4.0f);
  EXPECT_EQ(y[16], 7.0f);
  EXPECT_EQ(b.qs[0] & 0x0f, 0);
}

TEST(Quant, RejectsLengthsThatAreNotWholeBlocks) {
  std::vector<float> x(300);
  std::vector<uint8_t> q(1024);
  EXPECT_THROW(quantize_row(Type::Q4_K, x.data(), q.data(), 300), hearth::Error);
  EXPECT_THROW(quantize_row(Type::Q8_0, x.data(), q.data(), 33), hearth::Error);
  EXPECT_THROW(quantize_row(Type::I8, x.data(), q.data(), 32), hearth::Error);
}

}  // namespace

// MXFP4 against the OCP Microscaling spec (v1.0): an E2M1 element is sign, 2 exponent bits
// (bias 1), 1 mantissa bit, subnormal when the exponent is 0; the E8M0 scale is 2^(e - 127).
namespace {
double e2m1_from_spec(int code) {
  const int sign = (code >> 3) & 1, exp = (code >> 1) & 3, mant = code & 1;
  const double mag = exp == 0 ? 0.5 * mant : std::ldexp(1.0 + 0.5 * mant, exp - 1);
  return sign ? -mag : mag;
}
}  // namespace

TEST(Mxfp4, DecodesAsTheOcpSpecDefines) {
  const auto& k = hearth::tensor::kernel_table(hearth::tensor::Isa::scalar)[static_cast<uint32_t>(hearth::tensor::Type::MXFP4)];
  for (int e : {1, 100, 120, 127, 130, 200, 254}) {
    uint8_t block[17];
    block[0] = static_cast<uint8_t>(e);
    for (int j = 0; j < 16; ++j) block[1 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    float y[32];
    k.to_float(block, y, 32);
    for (int j = 0; j < 16; ++j) {
      EXPECT_EQ(y[j], static_cast<float>(e2m1_from_spec(j) * std::ldexp(1.0, e - 127))) << "e=" << e << " code " << j;
      EXPECT_EQ(y[j + 16], static_cast<float>(e2m1_from_spec(15 - j) * std::ldexp(1.0, e - 127))) << "e=" << e;
    }
  }
  uint8_t nan_block[17] = {0xff};
  float y[32];
  k.to_float(nan_block, y, 32);
  EXPECT_TRUE(std::isnan(y[0]));  // E8M0 0xFF is NaN by the spec
}
