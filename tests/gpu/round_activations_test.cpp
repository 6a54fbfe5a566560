// Kernels::round_activations against the CPU's activation quantizers: the GPU's y must be the
// CPU's quantize-then-dequantize of x (Q8_0, Q8_1, Q8_K) or its F32 -> BF16 -> F32, and Q8_1's
// block sums the CPU's stored F16 sum minus the float sum of the rounded elements. Then
// quantize_activations: the CPU's codes and scales themselves (Q8_0, Q8_K). Both reduction
// builds. Blocks that stress the rounding: all zeros, one huge value, exact .5 ties, negative
// maxima, tiny scales (F16 subnormal), scales whose F16 overflows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "gpu/kernels.h"
#include "gpu_fixture.h"
#include "tensor/blocks.h"
#include "tensor/dispatch.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace {
using namespace hearth;
using hearth::test::GpuTest;
using hearth::test::download;
using hearth::test::upload;
using hearth::test::cpu_dequantize;
using hearth::test::cpu_quantize;
using tensor::Type;

// Blocks of `len` values: the hard cases first, then random blocks of scales from 1e-3 to 1e3.
// `len` is 32 or 256; `negative` puts each special block's largest magnitude on a negative value.
// `tie_blocks` gets the indices of the blocks built on exact .5 ties.
std::vector<float> make_blocks(int len, int random_blocks, bool negative, std::mt19937& rng,
                               std::vector<size_t>& tie_blocks) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x;
  const float sgn = negative ? -1.0f : 1.0f;
  auto block = [&](auto&& value) {
    for (int j = 0; j < len; ++j) x.push_back(value(j));
  };
  block([](int) { return 0.0f; });                                      // all zeros: scale 0
  block([&](int j) { return j == 7 ? sgn * 1000.0f : u(rng); });       // one huge value: most codes 0
  block([&](int j) { return j == 3 ? sgn * 1e7f : u(rng) * 1e5f; });   // amax/127 overflows F16
  // Ties: with amax = 127 * 2^e, x * 127/amax is x * 2^-e exactly, so x = (k + 0.5) * 2^e sits on
  // a .5 code boundary (round half to even on both sides, unlike ggml's reference round()).
  for (const float scale : {1.0f, 0.0625f, 8.0f}) {
    tie_blocks.push_back(x.size() / len);
    block([&](int j) {
      if (j == 0) return sgn * 127.0f * scale;
      const int k = (j * 37) % 253 - 126;  // -126 .. 126
      return (static_cast<float>(k) + (j % 2 ? 0.5f : -0.5f)) * scale;
    });
  }
  // The largest magnitude twice with opposite signs: the first one sets Q8_K's sign.
  block([&](int j) { return j == 1 ? -sgn * 3.0f : j == 9 ? sgn * 3.0f : u(rng); });
  block([&](int) { return u(rng) * 1e-4f; });  // the scale an F16 subnormal
  block([&](int) { return u(rng) * 3e-7f; });  // the scale below F16's smallest: 0, so y = 0
  // amax below 127 / FLT_MAX: 127 / amax overflows; the CPU's codes are all 0 (y = 0, not NaN).
  block([&](int j) { return j == 5 ? sgn * 3e-37f : u(rng) * 1e-37f; });
  // Denormals and zeros: likewise.
  block([&](int j) { return j % 4 ? tensor::bits_f32(0x00000100u + j) * (j % 3 ? 1.0f : -1.0f) : 0.0f; });
  // Codes around 63.5 of one sign: near-ties where the last bit of the product decides.
  block([&](int j) { return j == 0 ? sgn * 2.0f : 1.0f + u(rng) * 0.01f; });
  std::uniform_real_distribution<float> e(-3.0f, 3.0f);
  for (int b = 0; b < random_blocks; ++b) {
    const float s = std::pow(10.0f, e(rng));
    block([&](int) { return u(rng) * s; });
  }
  return x;
}

// |t| (a code before rounding) within a few float ulps of a .5 boundary: a GPU whose division
// differs from the CPU's in the last bit may round such a value to the neighbouring code.
bool near_tie(float t) {
  const float a = std::fabs(t);
  const float ulp = std::nextafter(a, INFINITY) - a;
  return std::fabs(a - std::floor(a) - 0.5f) <= 4.0f * ulp;
}

struct Outcome {
  int one_step = 0;  // elements one code away from the CPU's, at a tie the division may move
};

// Compares the GPU's y with the CPU's dequantized blocks: equal (NaN with NaN), or one code step
// off where the pre-rounding value sat on a tie, except in `strict` blocks. Those are the exact
// ties: their 127/amax is a power of two, which a correctly rounded division (lavapipe's) and even
// 127 * (correctly rounded 1/amax) give exactly, so there a step off is the wrong tie rule (ggml's
// reference rounds half away from zero), not the division.
Outcome compare_codes(Type t, const std::vector<float>& x, const std::vector<uint8_t>& q,
                      const std::vector<float>& want, const std::vector<float>& got,
                      const std::vector<size_t>& strict) {
  Outcome o;
  const int len = t == Type::Q8_K ? 256 : 32;
  int bad = 0;
  for (size_t i = 0; i < x.size() && bad < 8; ++i) {
    if (std::isnan(got[i]) && std::isnan(want[i])) continue;
    // Equal values; the sign of a zero is free: the GPU's roundEven(-0.3) is -0 where the CPU's
    // int8 code 0 gives +0, which no dot product can tell apart.
    if (got[i] == want[i]) continue;
    const size_t b = i / len;
    float d, t_code;
    if (t == Type::Q8_K) {
      const auto* blk = reinterpret_cast<const tensor::BlockQ8_K*>(q.data()) + b;
      d = blk->d;
      t_code = (1.0f / d) * x[i];  // iscale * x, iscale = 1 / d up to rounding
    } else {
      const size_t bytes = t == Type::Q8_0 ? sizeof(tensor::BlockQ8_0) : sizeof(tensor::BlockQ8_1);
      d = tensor::fp16_to_fp32(*reinterpret_cast<const uint16_t*>(q.data() + b * bytes));
      float amax = 0.0f;
      for (int j = 0; j < len; ++j) amax = std::max(amax, std::fabs(x[b * len + j]));
      t_code = x[i] * (127.0f / amax);
    }
    const bool step = std::isfinite(d) && d != 0.0f && std::fabs(std::fabs(got[i] - want[i]) - std::fabs(d)) <= 0.0f;
    if (step && near_tie(t_code) && std::find(strict.begin(), strict.end(), b) == strict.end()) {
      ++o.one_step;
      continue;
    }
    ADD_FAILURE() << tensor::type_name(t) << " element " << i << " (block " << b << ", x " << x[i] << "): gpu "
                  << got[i] << " cpu " << want[i] << " (scale " << d << ")";
    ++bad;
  }
  return o;
}

class GpuRoundActivations : public GpuTest, public ::testing::WithParamInterface<bool> {
 protected:
  gpu::Kernels kernels() { return gpu::Kernels(ctx(), {.subgroups = GetParam()}); }
};

TEST_P(GpuRoundActivations, QuantizedBlocksMatchTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(11);
  for (const Type t : {Type::Q8_0, Type::Q8_1, Type::Q8_K}) {
    for (const bool negative : {false, true}) {
      SCOPED_TRACE(std::string(tensor::type_name(t)) + (negative ? ", negative maxima" : ", positive maxima"));
      const int len = t == Type::Q8_K ? 256 : 32;
      // Q8_0/Q8_1: more blocks than one workgroup of 128 invocations handles.
      std::vector<size_t> ties;
      const std::vector<float> x = make_blocks(len, t == Type::Q8_K ? 40 : 300, negative, rng, ties);
      const int64_t n = static_cast<int64_t>(x.size());
      const std::vector<uint8_t> q = cpu_quantize(t, x);
      const std::vector<float> want = cpu_dequantize(t, q, x.size());

      gpu::Buffer xb = upload(ctx(), x), yb(ctx(), n * 4), y2(ctx(), n * 4), sb(ctx(), n / 32 * 4);
      gpu::Sequence seq(ctx());
      k.round_activations(seq, xb, yb, n, t);
      if (t == Type::Q8_1) k.round_activations(seq, xb, y2, n, t, &sb);
      seq.run();
      const std::vector<float> got = download(yb, x.size());
      const Outcome o = compare_codes(t, x, q, want, got, ties);
      if (o.one_step > 0)
        std::printf("[round_activations] %s: %d element(s) one code step from the CPU at a .5 tie\n",
                    std::string(tensor::type_name(t)).c_str(), o.one_step);
      if (t != Type::Q8_1) continue;

      // With sums: the same y, and per block F16(s) - float sum of the rounded elements in order.
      const std::vector<float> got2 = download(y2, x.size());
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(tensor::f32_bits(got2[i]), tensor::f32_bits(got[i])) << "y with sums differs at " << i;
      const std::vector<float> sums = download(sb, x.size() / 32);
      const auto* blocks = reinterpret_cast<const tensor::BlockQ8_1*>(q.data());
      int bad = 0;
      for (size_t b = 0; b < sums.size() && bad < 8; ++b) {
        const float s = tensor::fp16_to_fp32(blocks[b].s);
        float dequant = 0.0f;
        for (int j = 0; j < 32; ++j) dequant += got[b * 32 + j];
        const float want_s = s - dequant;
        if (std::isnan(want_s) && std::isnan(sums[b])) continue;  // the overflowing block: inf - inf
        if (std::fabs(static_cast<double>(sums[b]) - want_s) <= 1e-6 * (std::fabs(s) + 1e-6)) continue;
        ADD_FAILURE() << "Q8_1 sum of block " << b << ": gpu " << sums[b] << " cpu " << want_s << " (s " << s
                      << ", float sum " << dequant << ")";
        ++bad;
      }
    }
  }
}

TEST_P(GpuRoundActivations, Bf16MatchesTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> u(-50.0f, 50.0f);
  std::uniform_int_distribution<uint32_t> any;
  const uint32_t special[] = {
      0x00000000u, 0x80000000u,               // +-0
      0x3f808000u, 0x3f818000u, 0xbf808000u,  // ties: to even (down), to even (up), negative
      0x3f808001u, 0x3f807fffu,               // just above and below a tie
      0x7f7fffffu, 0xff7fffffu,               // the largest floats round to +-inf
      0x7f800000u, 0xff800000u,               // +-inf
      0x7fc00000u, 0xffc00000u, 0x7fa00000u,  // NaNs (quiet, negative, signalling with a high payload)
      0x7f800001u, 0xff800001u,               // NaNs whose payload is only in the low 16 bits
      0x00000001u, 0x00008000u, 0x00018000u,  // denormals: smallest, ties to even down and up
      0x0000ffffu, 0x807fffffu, 0x007f8000u,  // denormals rounding up, the largest rounding to normal
      0x00800000u, 0x3f800000u,               // smallest normal, 1
  };
  std::vector<float> x;
  for (const uint32_t b : special) x.push_back(tensor::bits_f32(b));
  for (int i = 0; i < 3000; ++i) x.push_back(i % 2 ? u(rng) : tensor::bits_f32(any(rng)));  // any bit pattern
  const int64_t n = static_cast<int64_t>(x.size());
  const std::vector<float> want = cpu_dequantize(Type::BF16, cpu_quantize(Type::BF16, x), x.size());

  gpu::Buffer xb = upload(ctx(), x), yb(ctx(), n * 4);
  gpu::Sequence seq(ctx());
  k.round_activations(seq, xb, yb, n, Type::BF16);
  seq.run();
  const std::vector<float> got = download(yb, x.size());
  int bad = 0;
  for (size_t i = 0; i < x.size() && bad < 8; ++i) {
    // NaN stays NaN (the CPU also sets the quiet bit; the payload is not compared).
    if (std::isnan(want[i]) ? std::isnan(got[i]) : tensor::f32_bits(got[i]) == tensor::f32_bits(want[i])) continue;
    ADD_FAILURE() << "BF16 element " << i << " (bits 0x" << std::hex << tensor::f32_bits(x[i]) << "): gpu 0x"
                  << tensor::f32_bits(got[i]) << " cpu 0x" << tensor::f32_bits(want[i]) << std::dec;
    ++bad;
  }
}

// quantize_activations: the same codes as the CPU's quantizers (round_activations' rules, the
// codes themselves packed four to a word) and the CPU's block scales bit for bit.
TEST_P(GpuRoundActivations, QuantizedCodesMatchTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(13);
  for (const Type t : {Type::Q8_0, Type::Q8_K}) {
    for (const bool negative : {false, true}) {
      SCOPED_TRACE(std::string(tensor::type_name(t)) + (negative ? ", negative maxima" : ", positive maxima"));
      const int len = t == Type::Q8_K ? 256 : 32;
      std::vector<size_t> ties;
      const std::vector<float> x = make_blocks(len, t == Type::Q8_K ? 40 : 300, negative, rng, ties);
      const int64_t n = static_cast<int64_t>(x.size()), blocks = n / len;
      const std::vector<uint8_t> q = cpu_quantize(t, x);
      const std::vector<float> want = cpu_dequantize(t, q, x.size());

      // A word past the codes and a scale past the scales must stay as they were.
      gpu::Buffer xb = upload(ctx(), x), cb = upload(ctx(), std::vector<uint32_t>(n / 4 + 1, 0xdeadbeefu));
      gpu::Buffer sb = upload(ctx(), std::vector<float>(blocks + 1, 777.0f));
      gpu::Sequence seq(ctx());
      k.quantize_activations(seq, xb, cb, sb, n, t);
      seq.run();
      const std::vector<int8_t> codes = download<int8_t>(cb, n + 4);
      const std::vector<float> scales = download(sb, blocks + 1);
      EXPECT_EQ(scales[blocks], 777.0f) << "written past the scales";
      for (int i = 0; i < 4; ++i) EXPECT_EQ(static_cast<uint8_t>(codes[n + i]), (0xdeadbeefu >> (8 * i)) & 0xffu);

      std::vector<float> got(x.size());
      for (int64_t b = 0; b < blocks; ++b) {
        const float cpu_scale = t == Type::Q8_K ? reinterpret_cast<const tensor::BlockQ8_K*>(q.data())[b].d
                                                : tensor::fp16_to_fp32(reinterpret_cast<const tensor::BlockQ8_0*>(q.data())[b].d);
        EXPECT_EQ(tensor::f32_bits(scales[b]), tensor::f32_bits(cpu_scale)) << "scale of block " << b;
        for (int j = 0; j < len; ++j) got[b * len + j] = static_cast<float>(codes[b * len + j]) * scales[b];
      }
      const Outcome o = compare_codes(t, x, q, want, got, ties);
      if (o.one_step > 0)
        std::printf("[quantize_activations] %s: %d code(s) one step from the CPU at a .5 tie\n",
                    std::string(tensor::type_name(t)).c_str(), o.one_step);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Reductions, GpuRoundActivations, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Subgroup" : "SharedMemory"; });

using GpuRoundActivationsChecks = GpuTest;

TEST_F(GpuRoundActivationsChecks, BadInputsAreClearErrors) {
  const gpu::Kernels k(ctx());
  gpu::Buffer small(ctx(), 16 * 4), big(ctx(), 1024 * 4);
  gpu::Sequence seq(ctx());
  const auto code = [&](auto&& f) { return test::error_code(f, "gpu round_activations"); };
  // n not a whole number of blocks.
  EXPECT_EQ(code([&] { k.round_activations(seq, big, big, 48, Type::Q8_0); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.round_activations(seq, big, big, 33, Type::Q8_1); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.round_activations(seq, big, big, 512 + 32, Type::Q8_K); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.round_activations(seq, big, big, 0, Type::Q8_0); }), Errc::invalid_argument);
  // Types without a rounding.
  EXPECT_EQ(code([&] { k.round_activations(seq, big, big, 32, Type::F32); }), Errc::unsupported);
  EXPECT_EQ(code([&] { k.round_activations(seq, big, big, 32, Type::Q4_0); }), Errc::unsupported);
  // Buffers too small: x, y, and Q8_1's sums (64 blocks need 64 floats; small holds 16).
  EXPECT_EQ(code([&] { k.round_activations(seq, small, big, 64, Type::Q8_0); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.round_activations(seq, big, small, 64, Type::Q8_0); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.round_activations(seq, big, small, 256, Type::Q8_K); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.round_activations(seq, big, small, 17, Type::BF16); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.round_activations(seq, big, big, 1024, Type::Q8_1, &small); }), Errc::invalid_argument);
  // 512 elements are 16 blocks: small is exactly large enough for their sums.
  k.round_activations(seq, big, big, 512, Type::Q8_1, &small);
  EXPECT_FALSE(seq.empty());
}

TEST_F(GpuRoundActivationsChecks, QuantizeActivationsRefusesBadInputs) {
  const gpu::Kernels k(ctx());
  gpu::Buffer small(ctx(), 16 * 4), big(ctx(), 1024 * 4);
  gpu::Sequence seq(ctx());
  const auto code = [&](auto&& f) { return test::error_code(f, "gpu quantize_activations"); };
  EXPECT_EQ(code([&] { k.quantize_activations(seq, big, big, big, 48, Type::Q8_0); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.quantize_activations(seq, big, big, big, 288, Type::Q8_K); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.quantize_activations(seq, big, big, big, 0, Type::Q8_0); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.quantize_activations(seq, big, big, big, 32, Type::Q8_1); }), Errc::unsupported);
  EXPECT_EQ(code([&] { k.quantize_activations(seq, big, big, big, 32, Type::BF16); }), Errc::unsupported);
  // x (256 floats), codes (1024 bytes: small holds 64) and scales (1024 / 32 floats: small holds 16).
  EXPECT_EQ(code([&] { k.quantize_activations(seq, small, big, big, 256, Type::Q8_0); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.quantize_activations(seq, big, small, big, 1024, Type::Q8_0); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.quantize_activations(seq, big, big, small, 1024, Type::Q8_0); }), Errc::invalid_argument);
  EXPECT_TRUE(seq.empty());
  k.quantize_activations(seq, big, big, small, 512, Type::Q8_0);  // 16 blocks: small holds their scales
  EXPECT_FALSE(seq.empty());
}

}  // namespace
