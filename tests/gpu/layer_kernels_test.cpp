// The layer kernels (kernels_layer.cpp) against the CPU functions a model runs: elementwise
// arithmetic, RoPE as model::rope_apply with real model::rope_table angles, the KV store as
// KvCache::store's conversion, attention as model::attention over a real model::KvCache, and the
// gated activations as model::swiglu / model::geglu_f16 / gpt-oss's clamped SwiGLU. Both reduction
// builds; shapes with ragged tails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "gpu/kernels.h"
#include "gpu_fixture.h"
#include "model/attention.h"
#include "model/ffn.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "model/rope.h"
#include "tensor/dispatch.h"
#include "tensor/fp16.h"

namespace {
using namespace hearth;
using hearth::test::GpuTest;
using hearth::test::download;
using hearth::test::upload;

// Attention differs from the CPU in summation order and exp's last bits: errors relative to the
// largest |output|. F16 values add the odd weight whose F16 rounding flips by one ulp.
constexpr double kAttnF32Tol = 1e-4;
constexpr double kAttnF16Tol = 1e-3;
constexpr double kActTol = 1e-6;  // silu, swiglu_oai, softcap: relative, exp/tanh's last bits
// A GPU's exp(x) is usually exp2(x * log2 e): the product's rounding alone moves it by |x| * 2^-24
// relative, so activations through exp(-x) get that much more room.
double exp_tol(float want, double arg) { return (kActTol + 1.2e-7 * std::fabs(arg)) * std::fabs(want) + 1e-30; }

const tensor::Kernels& cpu() { return tensor::kernels_for(tensor::Isa::scalar); }

using hearth::test::random_floats;

// Reports up to five elements further than tol(i) from the CPU's.
template <class Tol>
void expect_close(const std::vector<float>& got, const std::vector<float>& want, Tol tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i) {
    const bool same_nan = std::isnan(got[i]) && std::isnan(want[i]);
    if (!same_nan && !(std::fabs(static_cast<double>(got[i]) - want[i]) <= tol(i))) {
      ADD_FAILURE() << what << ", element " << i << ": gpu " << got[i] << " cpu " << want[i] << " (tolerance " << tol(i)
                    << ")";
      ++bad;
    }
  }
}

void expect_equal(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  expect_close(got, want, [](size_t) { return 0.0; }, what);
}

double relative(float want, double tol) { return tol * std::max(1.0, std::fabs(static_cast<double>(want))); }

class GpuLayerKernels : public GpuTest, public ::testing::WithParamInterface<bool> {
 protected:
  gpu::Kernels kernels() { return gpu::Kernels(ctx(), {.subgroups = GetParam()}); }
};

TEST_P(GpuLayerKernels, ElementwiseMatchTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(1);
  for (int64_t n : {1, 127, 129, 5000}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const std::vector<float> x = random_floats(n, rng, -100, 100), y = random_floats(n, rng, -100, 100);
    std::vector<float> sum(n), scaled(n), capped(n);
    const float s = 0.37f, cap = 30.0f, inv = 1.0f / cap;
    for (int64_t i = 0; i < n; ++i) {
      sum[i] = x[i] + y[i];
      scaled[i] = x[i] * s;
      capped[i] = cap * std::tanh(x[i] * inv);  // as model.cpp soft-caps the logits
    }
    gpu::Buffer xa = upload(ctx(), x), yb = upload(ctx(), y), xs = upload(ctx(), x), xc = upload(ctx(), x);
    gpu::Sequence seq(ctx());
    k.add(seq, xa, yb, n);
    k.scale(seq, xs, s, n);
    k.softcap(seq, xc, cap, n);
    seq.run();
    expect_equal(download(xa, n), sum, "add");
    expect_equal(download(xs, n), scaled, "scale");
    expect_close(download(xc, n), capped, [&](size_t i) { return relative(capped[i], kActTol); }, "softcap");
  }
  // Small arguments, where tanh's relative accuracy matters most.
  const std::vector<float> tiny = {0.0f, -0.0f, 1e-30f, 1e-6f, -3e-3f, 0.01f, -0.2f, 7.4f, 7.6f, -1e4f, 1e30f};
  std::vector<float> want(tiny.size());
  for (size_t i = 0; i < tiny.size(); ++i) want[i] = 30.0f * std::tanh(tiny[i] * (1.0f / 30.0f));
  gpu::Buffer tb = upload(ctx(), tiny);
  gpu::Sequence seq(ctx());
  k.softcap(seq, tb, 30.0f, static_cast<int64_t>(tiny.size()));
  seq.run();
  expect_close(download(tb, tiny.size()), want, [&](size_t i) { return kActTol * std::fabs(want[i]) + 1e-37; },
               "softcap of small values");
}

TEST_P(GpuLayerKernels, AddBiasAndCopyColsMatchTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(2);
  for (auto [rows, dim] : {std::pair<int64_t, int64_t>{1, 1}, {3, 129}, {70, 300}}) {
    SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(dim));
    const std::vector<float> x = random_floats(rows * dim, rng), b = random_floats(dim, rng);
    std::vector<float> want = x;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < dim; ++i) want[r * dim + i] += b[i];
    gpu::Buffer xb = upload(ctx(), x), bb = upload(ctx(), b);
    gpu::Sequence seq(ctx());
    k.add_bias(seq, xb, bb, rows, dim);
    seq.run();
    expect_equal(download(xb, x.size()), want, "add_bias");
  }
  // A fused q/k/v row of 3 parts split into its middle part, into rows with room to spare.
  for (auto [rows, q, kv] : {std::tuple<int64_t, int64_t, int64_t>{1, 4, 2}, {9, 256, 64}, {300, 96, 33}}) {
    SCOPED_TRACE("copy_cols " + std::to_string(rows) + " rows");
    const int64_t stride = q + 2 * kv, dst_stride = kv + 3;
    const std::vector<float> src = random_floats(rows * stride, rng);
    std::vector<float> dst(static_cast<size_t>((rows - 1) * dst_stride + kv), -7.0f), want = dst;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < kv; ++c) want[r * dst_stride + c] = src[r * stride + q + c];
    gpu::Buffer sb = upload(ctx(), src), db = upload(ctx(), dst);
    gpu::Sequence seq(ctx());
    k.copy_cols(seq, sb, stride, q, db, dst_stride, rows, kv);
    seq.run();
    expect_equal(download(db, dst.size()), want, "copy_cols");
  }
}

TEST_P(GpuLayerKernels, RopeMatchesTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(3);
  const std::vector<int64_t> positions = {0, 1, 2, 17, 300, 4095, 100000};
  const int64_t rows = static_cast<int64_t>(positions.size());
  std::vector<float> factors(64);
  for (size_t i = 0; i < factors.size(); ++i) factors[i] = 1.0f + 0.37f * static_cast<float>(i);
  struct Case {
    int64_t n_heads, head_dim, n_rot;
    bool neox;
    float base;
    bool with_factors;
  };
  for (const Case c : {Case{3, 64, 64, false, 10000.0f, false}, Case{3, 64, 64, true, 10000.0f, false},
                       Case{2, 128, 64, false, 500000.0f, true}, Case{5, 96, 32, true, 10000.0f, true},
                       Case{1, 80, 78, true, 1e6f, false}}) {
    SCOPED_TRACE(std::string(c.neox ? "neox" : "adjacent") + " head_dim " + std::to_string(c.head_dim) + " n_rot " +
                 std::to_string(c.n_rot) + (c.with_factors ? " with freq factors" : ""));
    model::RopeParams rp;
    rp.base = c.base;
    if (c.with_factors) rp.freq_factors = factors.data();
    const int64_t row = c.n_heads * c.head_dim;
    const std::vector<float> x = random_floats(rows * row, rng, -3, 3);
    std::vector<float> want = x, tables, tab;
    for (int64_t r = 0; r < rows; ++r) {
      model::rope_table(positions[r], c.n_rot, rp, tab);
      tables.insert(tables.end(), tab.begin(), tab.end());
      model::rope_apply(cpu(), &want[r * row], c.n_heads, c.head_dim, c.n_rot,
                        c.neox ? model::RopeStyle::neox : model::RopeStyle::adjacent, tab);
    }
    gpu::Buffer xb = upload(ctx(), x), tb = upload(ctx(), tables);
    gpu::Sequence seq(ctx());
    k.rope(seq, xb, tb, rows, c.n_heads, c.head_dim, c.n_rot, c.neox);
    seq.run();
    expect_equal(download(xb, x.size()), want, "rope");
  }
}

// F16 conversions of awkward values: ties, subnormals, overflow, infinities, NaN.
std::vector<float> awkward_floats(size_t n, std::mt19937& rng) {
  std::vector<float> v = random_floats(n, rng, -2, 2);
  const float special[] = {0.0f, -0.0f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, -(1.0f + 1.0f / 2048), 65504.0f,
                           65519.0f, 65520.0f, 1e6f, -INFINITY, INFINITY, NAN, 6.0e-8f, 2.98e-8f, 2.9802322e-8f,
                           1e-5f, -3.1e-5f, 6.1e-5f, 1e-40f};
  std::uniform_int_distribution<uint32_t> bits;
  for (size_t i = 0; i < n; ++i) {
    if (i < std::size(special)) v[i] = special[i];
    else if (i % 3 == 0) v[i] = tensor::bits_f32((bits(rng) & 0x87ffffffu) | 0x30000000u);  // any mantissa, 2^-31..2^16
  }
  return v;
}

TEST_P(GpuLayerKernels, KvStoreMatchesTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(4);
  const int64_t src_row0 = 2, pos0 = 3, rows = 5;
  for (int64_t dim : {2, 37, 96, 1000}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const std::vector<float> src = awkward_floats((src_row0 + rows) * dim, rng);
    gpu::Buffer sb = upload(ctx(), src);
    const int64_t cache_rows = pos0 + rows + 2;  // rows after the written ones stay as they were
    // F32: copied exactly.
    {
      std::vector<float> cache(cache_rows * dim, -5.0f), want = cache;
      std::copy(src.begin() + src_row0 * dim, src.end(), want.begin() + pos0 * dim);
      gpu::Buffer cb = upload(ctx(), cache);
      gpu::Sequence seq(ctx());
      k.kv_store(seq, sb, src_row0, cb, tensor::Type::F32, pos0, rows, dim);
      seq.run();
      const std::vector<uint32_t> got = download<uint32_t>(cb, cache.size());
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i], tensor::f32_bits(want[i])) << "F32 element " << i;  // NaN bits too
    }
    if (dim % 2 != 0) continue;
    // F16: the bits of the CPU's converter (round to nearest even).
    std::vector<uint16_t> cache(cache_rows * dim, 0xabcd), want = cache;
    for (int64_t i = 0; i < rows * dim; ++i) want[pos0 * dim + i] = tensor::fp32_to_fp16(src[src_row0 * dim + i]);
    gpu::Buffer cb = upload(ctx(), cache);
    gpu::Sequence seq(ctx());
    k.kv_store(seq, sb, src_row0, cb, tensor::Type::F16, pos0, rows, dim);
    seq.run();
    const std::vector<uint16_t> got = download<uint16_t>(cb, cache.size());
    int bad = 0;
    for (size_t i = 0; i < got.size() && bad < 5; ++i)
      if (got[i] != want[i]) {
        ADD_FAILURE() << "F16 element " << i << " of "
                      << (i >= size_t(pos0 * dim) ? src[i - (pos0 - src_row0) * dim] : 0.0f)
                      << ": gpu 0x" << std::hex << got[i] << " cpu 0x" << want[i] << std::dec;
        ++bad;
      }
  }
}

// gpt-oss's clamped SwiGLU as model/moe.cpp computes it (a function private to that file).
float swiglu_oai_ref(float gate, float up) {
  const float g = std::min(gate, 7.0f);
  const float u = std::clamp(up, -7.0f, 7.0f);
  return (u + 1.0f) * g / (1.0f + std::exp(-1.702f * g));
}

// The spacing of F16 values around |v| (subnormal spacing below 2^-14).
double f16_ulp(float v) {
  const double a = std::fabs(static_cast<double>(v));
  if (a < 6.103515625e-05) return 5.9604644775390625e-08;
  return std::ldexp(1.0, static_cast<int>(std::floor(std::log2(a))) - 10);
}

TEST_P(GpuLayerKernels, GluMatchesTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(5);
  const int64_t n = 3001;
  const std::vector<float> gate = random_floats(n, rng, -12, 12), up = random_floats(n, rng, -9, 9);
  std::vector<float> ones(n, 1.0f);
  std::vector<float> silu = gate, gelu = gate, gelu_alone = gate, oai(n);
  model::swiglu(cpu(), silu.data(), up.data(), n);
  model::geglu_f16(cpu(), gelu.data(), up.data(), n);
  model::geglu_f16(cpu(), gelu_alone.data(), ones.data(), n);  // the F16 GELU values themselves
  for (int64_t i = 0; i < n; ++i) oai[i] = swiglu_oai_ref(gate[i], up[i]);

  gpu::Buffer ub = upload(ctx(), up), g1 = upload(ctx(), gate), g2 = upload(ctx(), gate), g3 = upload(ctx(), gate);
  gpu::Sequence seq(ctx());
  k.glu(seq, gpu::Glu::silu, g1, ub, n);
  k.glu(seq, gpu::Glu::gelu_f16, g2, ub, n);
  k.glu(seq, gpu::Glu::swiglu_oai, g3, ub, n);
  seq.run();
  expect_close(download(g1, n), silu, [&](size_t i) { return exp_tol(silu[i], gate[i]); }, "silu");
  // One F16 ulp of the GELU value, times what multiplies it (plus that product's rounding).
  expect_close(download(g2, n), gelu,
               [&](size_t i) { return f16_ulp(gelu_alone[i]) * std::fabs(up[i]) + 1e-7 * std::fabs(gelu[i]); },
               "gelu_f16");
  expect_close(download(g3, n), oai, [&](size_t i) { return exp_tol(oai[i], 1.702 * std::min(gate[i], 7.0f)); },
               "swiglu_oai");
}

struct AttnCase {
  tensor::Type kt, vt;
  int64_t group, head_dim, pos0, n_tokens;
  int64_t window;
  float softcap;
  bool sinks;
};

std::string describe(const AttnCase& c) {
  return std::string(tensor::type_name(c.kt)) + "/" + std::string(tensor::type_name(c.vt)) + " group " +
         std::to_string(c.group) +
         " head_dim " + std::to_string(c.head_dim) + " pos0 " + std::to_string(c.pos0) + " n_tokens " +
         std::to_string(c.n_tokens) + " window " + std::to_string(c.window) + " softcap " +
         std::to_string(c.softcap) + (c.sinks ? " sinks" : "");
}

void check_attention(gpu::Context& ctx, const gpu::Kernels& k, const AttnCase& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  model::HParams hp;
  hp.n_layer = 1;
  hp.n_head_kv = c.group == 1 ? 4 : 2;
  hp.n_head = hp.n_head_kv * c.group;
  hp.head_dim_k = hp.head_dim_v = c.head_dim;
  const int64_t kv_rows = c.pos0 + c.n_tokens, q_row0 = 2;
  model::KvCache cache(hp, kv_rows, {c.kt, c.vt});
  for (int64_t p = 0; p < kv_rows; ++p) {
    const std::vector<float> kr = random_floats(hp.k_dim(), rng), vr = random_floats(hp.v_dim(), rng);
    cache.store(0, p, kr.data(), vr.data());
  }
  cache.advance(kv_rows);
  // Queries large enough that scores spread over several units and reach the soft cap's curve.
  const std::vector<float> q = random_floats((q_row0 + c.n_tokens) * hp.q_dim(), rng, -6, 6);
  const std::vector<float> sinks = random_floats(hp.n_head, rng, -2, 3);
  std::vector<float> want(c.n_tokens * hp.n_head * hp.head_dim_v);
  model::attention(cpu(), &q[q_row0 * hp.q_dim()], c.n_tokens, c.pos0, 0, cache, hp, want.data(), nullptr,
                   {c.window, c.softcap, c.sinks ? sinks.data() : nullptr});

  // The CPU cache's rows, as they are (layer 0's rows are contiguous).
  auto cache_buffer = [&](const uint8_t* rows, size_t bytes) {
    gpu::Buffer b(ctx, bytes);
    b.upload(rows, bytes);
    return b;
  };
  gpu::Buffer kb = cache_buffer(cache.k_row(0, 0), cache.k_row_bytes() * kv_rows);
  gpu::Buffer vb = cache_buffer(cache.v_row(0, 0), cache.v_row_bytes() * kv_rows);
  gpu::Buffer qb = upload(ctx, q), sb = upload(ctx, sinks);
  const int64_t out_row = hp.n_head * hp.head_dim_v;
  std::vector<float> out0((q_row0 + c.n_tokens) * out_row, 1234.0f);
  gpu::Buffer ob = upload(ctx, out0);
  gpu::AttentionShape s;
  s.n_tokens = c.n_tokens;
  s.q_row0 = q_row0;
  s.pos0 = c.pos0;
  s.n_head = hp.n_head;
  s.n_head_kv = hp.n_head_kv;
  s.head_dim_k = hp.head_dim_k;
  s.head_dim_v = hp.head_dim_v;
  s.window = c.window;
  s.scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim_k));  // model::attention's
  s.softcap = c.softcap;
  s.k_type = c.kt;
  s.v_type = c.vt;
  gpu::Sequence seq(ctx);
  k.attention(seq, qb, kb, vb, c.sinks ? &sb : nullptr, ob, s);
  seq.run();
  const std::vector<float> all = download(ob, out0.size());
  for (int64_t i = 0; i < q_row0 * out_row; ++i) ASSERT_EQ(all[i], 1234.0f) << "row before q_row0 written";
  const std::vector<float> got(all.begin() + q_row0 * out_row, all.end());
  double mx = 0;
  for (float v : want) mx = std::max(mx, std::fabs(static_cast<double>(v)));
  const double tol = (c.kt == tensor::Type::F32 && c.vt == tensor::Type::F32 ? kAttnF32Tol : kAttnF16Tol) * mx;
  expect_close(got, want, [&](size_t) { return tol; }, "attention");
}

TEST_P(GpuLayerKernels, AttentionMatchesTheCpu) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(6);
  using tensor::Type;
  int i = 0;
  // Every cache type, group, head size and position meets each of the 8 mixes of window,
  // soft cap and sinks at least twice (the full product would take too long on lavapipe).
  for (auto [kt, vt] :
       {std::pair{Type::F32, Type::F32}, std::pair{Type::F16, Type::F16}, std::pair{Type::F32, Type::F16}})
    for (int64_t group : {1, 4})
      for (int64_t head_dim : {64, 256, 48})
        for (auto [pos0, n_tokens] : {std::pair<int64_t, int64_t>{0, 7}, {300, 1}, {300, 5}}) {
          const int mix = i++ % 8;
          check_attention(ctx(), k,
                          {kt, vt, group, head_dim, pos0, n_tokens, (mix & 1) ? 16 : 0, (mix & 2) ? 50.0f : 0.0f,
                           (mix & 4) != 0},
                          rng);
        }
}

// A layer's order on the device: keys and values stored into F16 caches by kv_store, then
// attention over them, as the CPU stores and attends.
TEST_P(GpuLayerKernels, KvStoreFeedsAttention) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(7);
  model::HParams hp;
  hp.n_layer = 1;
  hp.n_head = 8;
  hp.n_head_kv = 2;
  hp.head_dim_k = hp.head_dim_v = 64;
  const int64_t n_tokens = 40;
  const std::vector<float> kr = random_floats(n_tokens * hp.k_dim(), rng);
  const std::vector<float> vr = random_floats(n_tokens * hp.v_dim(), rng);
  const std::vector<float> q = random_floats(n_tokens * hp.q_dim(), rng, -4, 4);
  model::KvCache cache(hp, n_tokens, {tensor::Type::F16, tensor::Type::F16});
  for (int64_t t = 0; t < n_tokens; ++t) cache.store(0, t, &kr[t * hp.k_dim()], &vr[t * hp.v_dim()]);
  cache.advance(n_tokens);
  std::vector<float> want(n_tokens * hp.n_head * hp.head_dim_v);
  model::attention(cpu(), q.data(), n_tokens, 0, 0, cache, hp, want.data(), nullptr);

  gpu::Buffer kb = upload(ctx(), kr), vb = upload(ctx(), vr), qb = upload(ctx(), q);
  gpu::Buffer kc(ctx(), n_tokens * hp.k_dim() * 2), vc(ctx(), n_tokens * hp.v_dim() * 2), ob(ctx(), want.size() * 4);
  gpu::AttentionShape s;
  s.n_head = hp.n_head;
  s.n_head_kv = hp.n_head_kv;
  s.head_dim_k = hp.head_dim_k;
  s.head_dim_v = hp.head_dim_v;
  s.scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim_k));
  s.k_type = s.v_type = tensor::Type::F16;
  gpu::Sequence seq(ctx());
  // Two batches, as a prompt then its continuation.
  for (auto [t0, n] : {std::pair<int64_t, int64_t>{0, 33}, {33, 7}}) {
    k.kv_store(seq, kb, t0, kc, tensor::Type::F16, t0, n, hp.k_dim());
    k.kv_store(seq, vb, t0, vc, tensor::Type::F16, t0, n, hp.v_dim());
    s.n_tokens = n;
    s.q_row0 = s.pos0 = t0;
    k.attention(seq, qb, kc, vc, nullptr, ob, s);
  }
  seq.run();
  const std::vector<uint16_t> kbits = download<uint16_t>(kc, n_tokens * hp.k_dim());
  EXPECT_EQ(std::memcmp(kbits.data(), cache.k_row(0, 0), kbits.size() * 2), 0) << "F16 keys differ from the CPU's";
  double mx = 0;
  for (float v : want) mx = std::max(mx, std::fabs(static_cast<double>(v)));
  expect_close(download(ob, want.size()), want, [&](size_t) { return kAttnF16Tol * mx; }, "attention");
}

// The mixture-of-experts kernels (kernels_moe.cpp) over a routing laid out as gpu::MoeRoutes
// describes it: 7 tokens, 3 choices each among 5 experts (one expert unused), rows grouped by
// expert, a token's choices in ascending expert order, the arrays at offsets with gaps between.
TEST_P(GpuLayerKernels, MoeKernelsFollowTheRouting) {
  const gpu::Kernels k = kernels();
  std::mt19937 rng(9);
  const int64_t tokens = 7, kk = 3, n_expert = 5, dim = 130, nk = tokens * kk;
  std::vector<std::vector<int64_t>> by_expert(n_expert);
  for (int64_t t = 0; t < tokens; ++t) {
    std::vector<int64_t> e = {0, 1, 2, 4};  // expert 3 serves nobody
    std::shuffle(e.begin(), e.end(), rng);
    e.resize(kk);
    for (int64_t x : e) by_expert[x].push_back(t);
  }
  gpu::MoeRoutes r{.tokens = tokens, .k = kk, .source = 5, .expert = 5 + nk + 2, .row = 5 + 2 * nk + 4,
                   .weight = 5 + 3 * nk + 6, .experts = n_expert};
  std::vector<uint32_t> routes(static_cast<size_t>(r.weight + nk), 0xdeadbeefu);
  std::vector<int64_t> taken(tokens, 0);
  std::vector<float> w(nk);
  int64_t row = 0;
  for (int64_t e = 0; e < n_expert; ++e)
    for (int64_t t : by_expert[e]) {
      const int64_t at = t * kk + taken[t]++;
      routes[r.source + row] = static_cast<uint32_t>(t);
      routes[r.expert + row] = static_cast<uint32_t>(e);
      routes[r.row + at] = static_cast<uint32_t>(row);
      w[at] = std::uniform_real_distribution<float>(0.05f, 1.0f)(rng);
      std::memcpy(&routes[r.weight + at], &w[at], 4);
      ++row;
    }
  const std::vector<float> x = random_floats(tokens * dim, rng), bias = random_floats(n_expert * dim, rng);
  const std::vector<float> out = random_floats(nk * dim, rng);
  std::vector<float> gathered(nk * dim), biased(nk * dim), mixed(tokens * dim);
  for (int64_t i = 0; i < nk; ++i)
    for (int64_t c = 0; c < dim; ++c) {
      gathered[i * dim + c] = x[routes[r.source + i] * dim + c];
      biased[i * dim + c] = out[i * dim + c] + bias[routes[r.expert + i] * dim + c];
    }
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < dim; ++c) {
      float sum = 0.0f;
      for (int64_t j = 0; j < kk; ++j) sum += w[t * kk + j] * out[routes[r.row + t * kk + j] * dim + c];
      mixed[t * dim + c] = sum;
    }
  gpu::Buffer rb = upload(ctx(), routes), xb = upload(ctx(), x), bb = upload(ctx(), bias);
  gpu::Buffer gb(ctx(), nk * dim * 4), ob = upload(ctx(), out), yb(ctx(), tokens * dim * 4);
  gpu::Buffer ob2 = upload(ctx(), out);
  gpu::Sequence seq(ctx());
  k.moe_gather(seq, xb, rb, r, gb, dim);
  k.moe_add_bias(seq, ob2, bb, rb, r, dim);
  k.moe_combine(seq, ob, rb, r, yb, dim);
  seq.run();
  expect_equal(download(gb, gathered.size()), gathered, "moe_gather");
  expect_equal(download(ob2, biased.size()), biased, "moe_add_bias");
  // A device may fuse the multiply-adds.
  expect_close(download(yb, mixed.size()), mixed, [&](size_t i) { return relative(mixed[i], 1e-6); }, "moe_combine");

  // Shapes the buffers cannot hold.
  const auto code = [&](auto&& f) { return test::error_code(f, "gpu moe_"); };
  gpu::Buffer small(ctx(), 16);
  EXPECT_EQ(code([&] { k.moe_gather(seq, xb, small, r, gb, dim); }), Errc::invalid_argument);  // routes
  EXPECT_EQ(code([&] { k.moe_gather(seq, xb, rb, r, small, dim); }), Errc::invalid_argument);  // dst
  EXPECT_EQ(code([&] { k.moe_add_bias(seq, small, bb, rb, r, dim); }), Errc::invalid_argument);
  gpu::Buffer four_rows = upload(ctx(), std::vector<float>(bias.begin(), bias.begin() + 4 * dim));
  EXPECT_EQ(code([&] { k.moe_add_bias(seq, ob2, four_rows, rb, r, dim); }), Errc::invalid_argument);  // 5 experts
  {  // a routing that names an expert past the bias adds nothing there rather than reading past it
    std::vector<uint32_t> stray = routes;
    stray[r.expert] = 99;
    gpu::Buffer sb = upload(ctx(), stray), xb3 = upload(ctx(), out);
    gpu::Sequence s3(ctx());
    k.moe_add_bias(s3, xb3, bb, sb, r, dim);
    s3.run();
    std::vector<float> want3 = biased;
    std::copy(out.begin(), out.begin() + dim, want3.begin());
    expect_equal(download(xb3, want3.size()), want3, "moe_add_bias with a stray expert");
  }
  gpu::MoeRoutes no_experts = r;
  no_experts.experts = 0;
  EXPECT_EQ(code([&] { k.moe_add_bias(seq, ob2, bb, rb, no_experts, dim); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.moe_combine(seq, ob, rb, r, small, dim); }), Errc::invalid_argument);
  gpu::MoeRoutes bad = r;
  bad.k = 0;
  EXPECT_EQ(code([&] { k.moe_combine(seq, ob, rb, bad, yb, dim); }), Errc::invalid_argument);
  EXPECT_TRUE(seq.empty());
}

INSTANTIATE_TEST_SUITE_P(Reductions, GpuLayerKernels, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Subgroup" : "SharedMemory"; });

using GpuLayerKernelChecks = GpuTest;

// More elements than 65535 workgroups of 128 hold: the rest go to the second dimension.
TEST_F(GpuLayerKernelChecks, ElementwiseSpreadsOverTwoDispatchDimensions) {
  const gpu::Kernels k(ctx());
  const int64_t n = int64_t{65535} * 128 + 300;
  std::vector<float> x(n), y(n, 0.5f);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(i % 100003);
  gpu::Buffer xb = upload(ctx(), x), yb = upload(ctx(), y);
  gpu::Sequence seq(ctx());
  k.add(seq, xb, yb, n);
  seq.run();
  const std::vector<float> got = download(xb, n);
  for (int64_t i = 0; i < n; ++i)
    if (got[i] != x[i] + 0.5f) FAIL() << "element " << i << ": " << got[i] << " instead of " << x[i] + 0.5f;
}

TEST_F(GpuLayerKernelChecks, BadShapesAreClearErrors) {
  const gpu::Kernels k(ctx());
  gpu::Buffer small(ctx(), 16 * sizeof(float)), big(ctx(), 4096 * sizeof(float));
  gpu::Sequence seq(ctx());
  const auto code = [&](auto&& f) { return test::error_code(f, "gpu "); };
  using tensor::Type;
  EXPECT_EQ(code([&] { k.add(seq, small, big, 17); }), Errc::invalid_argument);  // x too small
  EXPECT_EQ(code([&] { k.add(seq, big, small, 17); }), Errc::invalid_argument);  // y too small
  EXPECT_EQ(code([&] { k.add(seq, big, big, 0); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.add_bias(seq, big, small, 2, 17); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.scale(seq, small, 2.0f, 17); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.softcap(seq, big, 0.0f, 17); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.copy_cols(seq, big, 8, 4, big, 8, 2, 5); }), Errc::invalid_argument);  // past the row
  EXPECT_EQ(code([&] { k.copy_cols(seq, big, 8, 0, small, 8, 3, 8); }), Errc::invalid_argument);  // dst too small
  EXPECT_EQ(code([&] { k.rope(seq, big, big, 1, 2, 64, 66, false); }), Errc::invalid_argument);  // n_rot > head_dim
  EXPECT_EQ(code([&] { k.rope(seq, big, big, 1, 2, 64, 31, true); }), Errc::invalid_argument);   // odd n_rot
  EXPECT_EQ(code([&] { k.rope(seq, big, small, 1, 2, 64, 32, true); }), Errc::invalid_argument);  // table too small
  EXPECT_EQ(code([&] { k.kv_store(seq, big, 0, big, Type::F16, 0, 2, 7); }), Errc::invalid_argument);  // odd F16 dim
  EXPECT_EQ(code([&] { k.kv_store(seq, big, 0, small, Type::F32, 3, 2, 4); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { k.kv_store(seq, big, 0, big, Type::Q8_0, 0, 2, 32); }), Errc::unsupported);
  EXPECT_EQ(code([&] { k.glu(seq, gpu::Glu::silu, big, small, 17); }), Errc::invalid_argument);

  gpu::AttentionShape s;
  s.n_tokens = 2;
  s.n_head = 4;
  s.n_head_kv = 2;
  s.head_dim_k = s.head_dim_v = 32;
  const auto attn = [&](const gpu::AttentionShape& shape, const gpu::Buffer& kc, const gpu::Buffer* sinks) {
    return code([&] { k.attention(seq, big, kc, big, sinks, big, shape); });
  };
  gpu::AttentionShape t = s;
  t.k_type = Type::Q8_0;
  EXPECT_EQ(attn(t, big, nullptr), Errc::unsupported);
  t = s;
  t.v_type = Type::Q4_0;
  EXPECT_EQ(attn(t, big, nullptr), Errc::unsupported);
  EXPECT_EQ(attn(s, small, nullptr), Errc::invalid_argument);  // the key cache holds 16 of 128 floats
  gpu::Buffer two(ctx(), 2 * sizeof(float));
  EXPECT_EQ(attn(s, big, &two), Errc::invalid_argument);  // one sink per head
  t = s;
  t.pos0 = 100;  // the caches hold 4096 floats, not 102 rows of 64
  EXPECT_EQ(attn(t, big, nullptr), Errc::invalid_argument);
  t = s;
  t.q_row0 = 40;  // 42 rows of 128 floats
  EXPECT_EQ(attn(t, big, nullptr), Errc::invalid_argument);  // q and out too small
  t = s;
  t.n_head_kv = 3;
  EXPECT_EQ(attn(t, big, nullptr), Errc::invalid_argument);
  t = s;
  t.head_dim_k = t.head_dim_v = 512;
  t.n_tokens = 1;
  t.n_head = t.n_head_kv = 1;
  EXPECT_EQ(attn(t, big, nullptr), Errc::unsupported);
  t = s;
  t.k_type = Type::F16;
  t.n_head_kv = t.n_head = 1;
  t.head_dim_k = 33;  // F16 rows of odd length
  EXPECT_EQ(attn(t, big, nullptr), Errc::invalid_argument);
  EXPECT_TRUE(seq.empty());  // nothing was recorded
}

}  // namespace
