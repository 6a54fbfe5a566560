// matmul against a double-precision dot of the dequantized weights with the activations as the
// kernel sees them (converted to the weight's vec_dot_type and back), for every weight type,
// batch sizes 1 and 7, 1 and 2 threads, and every ISA path the CPU has.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "support/isa_paths.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "tensor/blocks.h"
#include "tensor/dispatch.h"
#include "tensor/fp16.h"
#include "tensor/ops.h"

namespace {
using namespace hearth;
using namespace hearth::tensor;

// Float accumulation vs a double reference: relative to sum |w_i * x_i|.
constexpr double kMatmulRelTol = 1e-4;
// SIMD vs scalar vec_dot: same integers, different float summation order.
constexpr double kIsaRelTol = 2e-5;

const Type kWeightTypes[] = {Type::F32,  Type::F16,  Type::BF16, Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1,
                             Type::Q8_0, Type::Q2_K, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K,
                             Type::IQ4_NL, Type::IQ4_XS, Type::IQ3_S, Type::MXFP4};

// Byte offsets of the fp16 scale fields in one block; random bytes elsewhere are valid codes.
std::vector<int> scale_offsets(Type t) {
  switch (t) {
    case Type::Q4_0: case Type::Q5_0: case Type::Q8_0: case Type::IQ4_NL: case Type::IQ4_XS: case Type::IQ3_S:
      return {0};
    case Type::Q4_1: case Type::Q5_1: case Type::Q4_K: case Type::Q5_K: return {0, 2};
    case Type::Q2_K: return {80, 82};
    case Type::Q3_K: return {108};
    case Type::Q6_K: return {208};
    default: return {};
  }
}

std::vector<uint8_t> random_weights(Type t, int64_t rows, int64_t cols, std::mt19937& rng) {
  std::vector<uint8_t> w(row_size(t, rows * cols));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  if (!traits(t).quantized) {
    std::vector<float> f(rows * cols);
    for (auto& v : f) v = u(rng);
    quantize_row(t, f.data(), w.data(), rows * cols);
    return w;
  }
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : w) b = static_cast<uint8_t>(byte(rng));
  const size_t bs = traits(t).type_size;
  for (size_t off = 0; off < w.size(); off += bs) {
    for (int o : scale_offsets(t)) {
      const uint16_t h = fp32_to_fp16(u(rng) * 0.05f);
      std::memcpy(&w[off + o], &h, 2);
    }
    if (t == Type::MXFP4) w[off] = static_cast<uint8_t>(110 + byte(rng) % 30);  // E8M0 near 2^-10 (not NaN)
    if (t == Type::Q8_0)  // ggml's quantizer never emits -128; the SIMD sign trick relies on it
      for (size_t j = 2; j < bs; ++j)
        if (w[off + j] == 0x80) w[off + j] = 0x81;
  }
  return w;
}

// Reference Y[i][r] in double, plus the scale sum |w x| for the tolerance.
void reference(const std::vector<uint8_t>& w, Type t, int64_t rows, int64_t cols, const std::vector<float>& x,
               int64_t n, std::vector<double>* y, std::vector<double>* scale) {
  const KernelTable& k = kernel_table(Isa::scalar);
  const Type xt = k[static_cast<uint32_t>(t)].vec_dot_type;
  std::vector<float> wr(cols), xr(cols);
  std::vector<uint8_t> xq(row_size(xt, cols));
  y->assign(rows * n, 0.0);
  scale->assign(rows * n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    k[static_cast<uint32_t>(xt)].from_float_act(x.data() + i * cols, xq.data(), cols);
    k[static_cast<uint32_t>(xt)].to_float(xq.data(), xr.data(), cols);
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* wrow = w.data() + r * row_size(t, cols);
      dequantize_row(t, wrow, wr.data(), cols);
      double s = 0, a = 0;
      for (int64_t j = 0; j < cols; ++j) {
        s += static_cast<double>(wr[j]) * xr[j];
        a += std::fabs(static_cast<double>(wr[j]) * xr[j]);
      }
      if (xt == Type::Q8_1) {
        // The kernel uses the stored s = fp16(d * sum q) for the min term, not d * sum q.
        const auto* xb = reinterpret_cast<const BlockQ8_1*>(xq.data());
        for (int64_t b = 0; b < cols / QK8_1; ++b) {
          uint16_t mh;
          std::memcpy(&mh, wrow + b * traits(t).type_size + 2, 2);
          int sumq = 0;
          for (int j = 0; j < QK8_1; ++j) sumq += xb[b].qs[j];
          const double m = fp16_to_fp32(mh);
          s += m * (fp16_to_fp32(xb[b].s) - static_cast<double>(fp16_to_fp32(xb[b].d)) * sumq);
          a += std::fabs(m * fp16_to_fp32(xb[b].s));
        }
      }
      (*y)[i * rows + r] = s;
      (*scale)[i * rows + r] = a;
    }
  }
}

std::vector<Isa> supported_isas() {
  return hearth::test::isa_paths();
}

class MatmulAllTypes : public ::testing::TestWithParam<Type> {};

TEST_P(MatmulAllTypes, MatchesDoubleReferenceForBatchesThreadsAndIsas) {
  const Type t = GetParam();
  const int64_t rows = 37, cols = 512;
  std::mt19937 rng(static_cast<unsigned>(t) + 11);
  const auto w = random_weights(t, rows, cols, rng);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  ThreadPool pool2(2);
  for (int64_t n : {1, 7}) {
    std::vector<float> x(n * cols);
    for (auto& v : x) v = u(rng);
    std::vector<double> ref, scale;
    reference(w, t, rows, cols, x, n, &ref, &scale);
    for (Isa isa : supported_isas()) {
      std::vector<float> y1(rows * n), y2(rows * n);
      matmul(kernels_for(isa), w.data(), t, rows, cols, x.data(), n, y1.data(), nullptr);
      matmul(kernels_for(isa), w.data(), t, rows, cols, x.data(), n, y2.data(), &pool2);
      for (int64_t k = 0; k < rows * n; ++k) {
        ASSERT_NEAR(y1[k], ref[k], kMatmulRelTol * scale[k] + 1e-6)
            << type_name(t) << " isa=" << isa_name(isa) << " n=" << n << " index " << k;
        // The split across threads must not change any result.
        ASSERT_EQ(y1[k], y2[k]) << type_name(t) << " isa=" << isa_name(isa) << " n=" << n << " index " << k;
      }
    }
  }
}

TEST_P(MatmulAllTypes, EveryIsaVecDotAgreesWithScalar) {
  const Type t = GetParam();
  const int64_t cols = 1024;
  std::mt19937 rng(static_cast<unsigned>(t) + 99);
  const auto w = random_weights(t, 8, cols, rng);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  const KernelTable& scalar = kernel_table(Isa::scalar);
  const TypeKernels& ks = scalar[static_cast<uint32_t>(t)];
  const TypeKernels& kx = scalar[static_cast<uint32_t>(ks.vec_dot_type)];
  std::vector<float> x(cols), wf(cols), xf(cols);
  std::vector<uint8_t> xq(row_size(ks.vec_dot_type, cols));
  for (Isa isa : supported_isas()) {
    const TypeKernels& ki = kernel_table(isa)[static_cast<uint32_t>(t)];
    ASSERT_EQ(ki.vec_dot_type, ks.vec_dot_type);
    for (int r = 0; r < 8; ++r) {
      for (auto& v : x) v = u(rng);
      // The activation converter of every path must produce identical bytes.
      std::vector<uint8_t> xq_isa(xq.size());
      kx.from_float_act(x.data(), xq.data(), cols);
      kernel_table(isa)[static_cast<uint32_t>(ks.vec_dot_type)].from_float_act(x.data(), xq_isa.data(), cols);
      ASSERT_EQ(xq, xq_isa) << isa_name(isa);
      const uint8_t* wrow = w.data() + r * row_size(t, cols);
      ks.to_float(wrow, wf.data(), cols);
      kx.to_float(xq.data(), xf.data(), cols);
      double scale = 0;
      for (int64_t j = 0; j < cols; ++j) scale += std::fabs(static_cast<double>(wf[j]) * xf[j]);
      if (t == Type::Q4_1 || t == Type::Q5_1) scale *= 2;  // min terms
      const float a = ks.vec_dot(cols, wrow, xq.data());
      const float b = ki.vec_dot(cols, wrow, xq.data());
      ASSERT_NEAR(a, b, kIsaRelTol * scale + 1e-6) << type_name(t) << " isa=" << isa_name(isa) << " row " << r;
      // These kernels keep the scalar float expression per block: bit-identical.
      if (traits(t).block_size == QK_K) {
        ASSERT_EQ(a, b) << type_name(t) << " isa=" << isa_name(isa) << " row " << r;
      }
    }
  }
}

// The float dots (and the F16 tiles) keep 16 lane classes reduced in one order at every width
// (tensor/dot_float.h), so every SIMD tier gives the AVX2 tier's bits, with any tail length, and
// a tile's result is its vec_dot's for every tile shape a batch meets. (The avx512+bf16 tier's
// BF16 dot is the hardware's pair instruction, a different sum, checked against the scalar above.)
TEST(Matmul, FloatDotsGiveTheSameBitsOnEverySimdTier) {
  if (!isa_supported(Isa::avx2)) GTEST_SKIP() << "no SIMD tier on this CPU";
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  for (Type t : {Type::F32, Type::F16, Type::BF16})
    for (int64_t n : {1, 15, 16, 31, 172, 1000}) {
      const int64_t rows = 7, tokens = 6;
      const KernelTable& scalar = kernel_table(Isa::scalar);
      const TypeKernels& k = scalar[static_cast<uint32_t>(t)];
      std::vector<float> wf(rows * n), xf(tokens * n);
      for (auto& v : wf) v = u(rng);
      for (auto& v : xf) v = u(rng);
      std::vector<uint8_t> w(rows * row_size(t, n)), x(tokens * row_size(t, n));
      k.from_float_ref(wf.data(), w.data(), rows * n);
      k.from_float_act(xf.data(), x.data(), tokens * n);
      auto dot = [&](Isa isa, int64_t r, int64_t c) {
        return kernel_table(isa)[static_cast<uint32_t>(t)].vec_dot(n, w.data() + r * row_size(t, n), x.data() + c * row_size(t, n));
      };
      for (Isa isa : test::isa_paths(false)) {
        if (t == Type::BF16 && isa == Isa::avx512bf16) continue;  // vdpbf16ps: its own pairs, its own order
        const TypeKernels& ki = kernel_table(isa)[static_cast<uint32_t>(t)];
        std::vector<float> y(rows * tokens);
        if (ki.gemm) ki.gemm(n, w.data(), row_size(t, n), rows, x.data(), row_size(t, n), tokens, y.data(), rows);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < tokens; ++c) {
            const float want = dot(Isa::avx2, r, c);
            ASSERT_EQ(dot(isa, r, c), want) << type_name(t) << " n=" << n << " isa=" << isa_name(isa);
            if (ki.gemm) ASSERT_EQ(y[c * rows + r], want) << type_name(t) << " gemm n=" << n << " isa=" << isa_name(isa);
          }
      }
    }
}

TEST_P(MatmulAllTypes, EveryIsaConvertsRowsExactlyLikeScalar) {
  const Type t = GetParam();
  const int64_t cols = 512;
  std::mt19937 rng(static_cast<unsigned>(t) + 5);
  const auto w = random_weights(t, 1, cols, rng);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::vector<float> x(cols);
  for (auto& v : x) v = u(rng);
  const TypeKernels& ks = kernel_table(Isa::scalar)[static_cast<uint32_t>(t)];
  std::vector<float> a(cols), b(cols);
  std::vector<uint8_t> qa(w.size()), qb(w.size());
  ks.to_float(w.data(), a.data(), cols);
  if (ks.from_float_ref) ks.from_float_ref(x.data(), qa.data(), cols);  // IQ3_S, MXFP4: read-only
  for (Isa isa : supported_isas()) {
    const TypeKernels& ki = kernel_table(isa)[static_cast<uint32_t>(t)];
    ki.to_float(w.data(), b.data(), cols);
    ASSERT_EQ(0, std::memcmp(a.data(), b.data(), cols * sizeof(float))) << type_name(t) << " " << isa_name(isa);
    if (!ks.from_float_ref) continue;
    ki.from_float_ref(x.data(), qb.data(), cols);
    ASSERT_EQ(qa, qb) << type_name(t) << " " << isa_name(isa);
  }
}

INSTANTIATE_TEST_SUITE_P(Types, MatmulAllTypes, ::testing::ValuesIn(kWeightTypes),
                         [](const auto& info) { return std::string(type_name(info.param)); });

TEST(Matmul, EmptyShapesDoNothing) {
  float y = 42.0f;
  const float x[32] = {};
  const std::vector<uint8_t> w(row_size(Type::Q8_0, 32));
  matmul(kernels_for(best_isa()), w.data(), Type::Q8_0, 0, 32, x, 1, &y, nullptr);
  matmul(kernels_for(best_isa()), w.data(), Type::Q8_0, 1, 32, x, 0, &y, nullptr);
  EXPECT_EQ(y, 42.0f);
}

TEST(Matmul, RejectsBadShapesAndTypes) {
  std::vector<uint8_t> w(4096);
  std::vector<float> x(256), y(16);
  try {
    matmul(kernels_for(best_isa()), w.data(), Type::Q4_0, 1, 48, x.data(), 1, y.data(), nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("block size 32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(matmul(kernels_for(best_isa()), w.data(), Type::I32, 1, 32, x.data(), 1, y.data(), nullptr), Error);
  EXPECT_THROW(matmul(kernels_for(best_isa()), w.data(), Type::Q8_K, 1, 256, x.data(), 1, y.data(), nullptr), Error);
  EXPECT_THROW(matmul(kernels_for(best_isa()), w.data(), static_cast<Type>(77), 1, 32, x.data(), 1, y.data(), nullptr), Error);
  EXPECT_THROW(dequantize_row(Type::Q4_K, w.data(), y.data(), 100), Error);
  EXPECT_THROW(get_row(kernels_for(best_isa()), w.data(), Type::F32, 4, -1, y.data()), Error);
}

// Products sharing one input (the model's Q/K/V and gate/up) give exactly what separate calls
// give, whether their types share an activation conversion (Q4_K + Q6_K: Q8_K) or not (Q4_0:
// Q8_0), for one token and a batch, on one thread and two.
TEST(Matmul, SharedInputEqualsSeparateProducts) {
  std::mt19937 rng(5);
  const int64_t cols = 512;
  const Type types[] = {Type::Q4_K, Type::Q6_K, Type::Q4_0, Type::F16};
  const int64_t rows[] = {40, 12, 28, 9};
  std::vector<std::vector<uint8_t>> w;
  for (int i = 0; i < 4; ++i) w.push_back(random_weights(types[i], rows[i], cols, rng));
  ThreadPool pool(2);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t n : {1, 5}) {
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (auto& v : x) v = u(rng);
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      std::vector<std::vector<float>> sep(4), shared(4);
      std::vector<MatmulOut> outs;
      for (int i = 0; i < 4; ++i) {
        sep[i].assign(static_cast<size_t>(n * rows[i]), 0.0f);
        shared[i].assign(static_cast<size_t>(n * rows[i]), NAN);
        matmul(kernels_for(best_isa()), w[i].data(), types[i], rows[i], cols, x.data(), n, sep[i].data(), p);
        outs.push_back({w[i].data(), types[i], rows[i], shared[i].data()});
      }
      matmul_shared(kernels_for(best_isa()), outs, cols, x.data(), n, p);
      for (int i = 0; i < 4; ++i)
        for (size_t j = 0; j < sep[i].size(); ++j)
          ASSERT_EQ(shared[i][j], sep[i][j]) << type_name(types[i]) << " n=" << n << " index " << j;
    }
  }
  // A bad entry is reported like matmul reports it.
  std::vector<float> x(48), y(4);
  const MatmulOut bad[] = {{w[2].data(), Type::Q4_0, 1, y.data()}};
  EXPECT_THROW(matmul_shared(kernels_for(best_isa()), bad, 48, x.data(), 1, nullptr), Error);
}

TEST(Matmul, GetRowReturnsTheRequestedRow) {
  std::vector<float> m(3 * 64);
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i) * 0.25f;
  std::vector<uint8_t> q(row_size(Type::Q8_0, 3 * 64));
  quantize_row(Type::Q8_0, m.data(), q.data(), 3 * 64);
  std::vector<float> r(64), expect(64);
  get_row(kernels_for(best_isa()), q.data(), Type::Q8_0, 64, 2, r.data());
  dequantize_row(Type::Q8_0, q.data() + 2 * row_size(Type::Q8_0, 64), expect.data(), 64);
  EXPECT_EQ(r, expect);
  for (int j = 0; j < 64; ++j) EXPECT_NEAR(r[j], m[128 + j], 0.2f);
}

TEST(Dispatch, ChoosesTheRequestedPathOrFallsBackWithAWarning) {
  EXPECT_TRUE(isa_supported(Isa::scalar));
  EXPECT_TRUE(isa_supported(best_isa()));
  std::string warning;
  EXPECT_EQ(choose_isa("", &warning), best_isa());
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(choose_isa("scalar", &warning), Isa::scalar);
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(choose_isa("sse9", &warning), best_isa());
  EXPECT_NE(warning.find("sse9"), std::string::npos) << warning;
  for (Isa isa : kAllIsas) {
    warning.clear();
    const Isa got = choose_isa(isa_name(isa), &warning);
    if (isa_supported(isa)) {
      EXPECT_EQ(got, isa);
      EXPECT_EQ(kernels_for(isa).isa, isa);
    } else {
      EXPECT_EQ(got, best_isa());
      EXPECT_NE(warning.find("not supported"), std::string::npos) << warning;
      EXPECT_THROW(kernels_for(isa), Error);
    }
  }
}

// Each tier extends the one below it: what a CPU with a wider tier supports includes the narrower
// ones (so one machine tests them all), and each tier's table replaces exactly its own kernels.
TEST(Dispatch, TiersNestAndEachAddsItsOwnKernels) {
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(isa_supported(Isa::avx512), isa_supported(Isa::avx2) && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq);
  EXPECT_EQ(isa_supported(Isa::avx512vnni), isa_supported(Isa::avx512) && f.avx512vnni);
  EXPECT_EQ(isa_supported(Isa::avx512bf16), isa_supported(Isa::avx512vnni) && f.avx512bf16);
  EXPECT_EQ(isa_supported(Isa::avx2vnni), isa_supported(Isa::avx2) && f.avxvnni);
  auto kernel = [](Isa isa, Type t) { return kernels_for(isa).table[static_cast<uint32_t>(t)]; };
  if (isa_supported(Isa::avx512)) {
    EXPECT_NE(kernel(Isa::avx512, Type::Q4_0).gemm, kernel(Isa::avx2, Type::Q4_0).gemm);
    EXPECT_NE(kernel(Isa::avx512, Type::BF16).vec_dot, kernel(Isa::avx2, Type::BF16).vec_dot);  // dot_float.h at each width
    EXPECT_EQ(kernel(Isa::avx512, Type::Q4_1).vec_dot, kernel(Isa::avx2, Type::Q4_1).vec_dot);
  } else {
    std::printf("[isa] avx512 tiers not checked: this CPU lacks them\n");
  }
  if (isa_supported(Isa::avx512vnni)) {
    for (Type t : {Type::Q4_0, Type::Q8_0, Type::Q4_K, Type::Q6_K}) {
      EXPECT_NE(kernel(Isa::avx512vnni, t).gemm, kernel(Isa::avx512, t).gemm) << type_name(t);
      EXPECT_NE(kernel(Isa::avx512vnni, t).gemm_interleaved, kernel(Isa::avx512, t).gemm_interleaved) << type_name(t);
    }
    EXPECT_NE(kernel(Isa::avx512vnni, Type::Q5_K).gemm_interleaved, kernel(Isa::avx512, Type::Q5_K).gemm_interleaved);
    EXPECT_EQ(kernel(Isa::avx512vnni, Type::BF16).vec_dot, kernel(Isa::avx512, Type::BF16).vec_dot);
    EXPECT_NE(kernel(Isa::avx512vnni, Type::IQ4_NL).vec_dot, kernel(Isa::avx512, Type::IQ4_NL).vec_dot);
  }
  if (isa_supported(Isa::avx512bf16)) {
    EXPECT_NE(kernel(Isa::avx512bf16, Type::BF16).vec_dot, kernel(Isa::avx512vnni, Type::BF16).vec_dot);
    EXPECT_EQ(kernel(Isa::avx512bf16, Type::Q4_0).gemm, kernel(Isa::avx512vnni, Type::Q4_0).gemm);
  }
}

}  // namespace
