// KV snapshots and truncation with the GPU offload on (docs/gpu.md, "KV cache"): an offloaded
// layer's rows live on the device, so a snapshot must copy them back when taken and a restored
// cache must send them up again before its next forward pass. A cache restored from a snapshot
// must continue exactly as the cache it was taken from, and both as the CPU does (within the
// GPU's summation-order tolerance); a truncated cache as a fresh one. F32 and F16 caches, all
// layers and the output head on the device, or the first half of the layers. Without a Vulkan
// device the tests skip, except under CI (CI=true installs lavapipe), where that is a failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "gpu/discovery.h"
#include "model/kv_cache.h"
#include "model/kv_snapshot.h"
#include "model/model.h"
#include "model/offload.h"
#include "support/shared_data.h"
#include "support/vulkan.h"
#include "tensor/dispatch.h"
#include "tensor/kernels.h"

namespace hearth::test {
namespace {

using tensor::Type;


constexpr double kCpuTol = 1e-3;       // GPU against CPU logits: summation order, exp's last bits
constexpr double kTruncateTol = 1e-4;  // GPU against GPU with other batch shapes
constexpr int64_t kCtx = 64;

std::string model_path(const std::string& name) { return shared_path("models/" + name + ".gguf").string(); }

// Models are loaded once per process: every case of one (model, offload) shares it, which keeps
// the file under a few seconds on lavapipe.
std::shared_ptr<model::Model> cpu_model(const std::string& name) {
  static std::map<std::string, std::shared_ptr<model::Model>> models;
  auto& m = models[name];
  if (!m) m = model::Model::load(model_path(name), {});
  return m;
}

std::shared_ptr<model::Model> gpu_model(const std::string& name, bool half) {
  static std::map<std::string, std::shared_ptr<model::Model>> models;
  auto& m = models[name + (half ? "/half" : "/all")];
  if (!m) {
    model::LoadOptions lo;
    lo.gpu_loader = test_loader();
    lo.gpu_layers = half ? std::max<int64_t>(1, cpu_model(name)->hparams().n_layer / 2) : model::kGpuLayersAll;
    m = model::Model::load(model_path(name), lo);
  }
  return m;
}

// Token ids spread over the vocabulary (any id runs; no tokenizer needed).
std::vector<int32_t> tokens(int64_t n, int64_t n_vocab, int seed) {
  std::vector<int32_t> t(n);
  for (int64_t i = 0; i < n; ++i) t[i] = static_cast<int32_t>(1 + (seed * 131 + i * 37) % (n_vocab - 1));
  return t;
}

std::vector<float> forward(const model::Model& m, model::KvCache& c, const std::vector<int32_t>& toks) {
  std::vector<float> logits;
  m.forward(c, toks, false, logits, nullptr);
  return logits;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  return d;
}

// Snapshot rows (F32 or F16 elements) as floats.
std::vector<float> as_floats(Type t, const std::string& rows) {
  const size_t n = rows.size() / (t == Type::F32 ? 4 : 2);
  std::vector<float> f(n);
  tensor::kernel_table(tensor::Isa::scalar)[static_cast<uint32_t>(t)].to_float(rows.data(), f.data(),
                                                                               static_cast<int64_t>(n));
  return f;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

struct SnapCase {
  std::string model;
  bool half = false;  // the first half of the layers on the GPU, else all and the output head
  Type kv = Type::F32;
};

void PrintTo(const SnapCase& c, std::ostream* os) {
  *os << c.model << (c.half ? " half" : " all") << " " << tensor::type_name(c.kv);
}

std::vector<SnapCase> snapshot_cases() {
  std::vector<SnapCase> c;
  for (const char* m : {"stories260K", "tiny-qwen2-Q8_0"})
    for (const bool half : {false, true})
      for (const Type t : {Type::F32, Type::F16}) c.push_back({m, half, t});
  return c;
}

class GpuKvSnapshot : public ::testing::TestWithParam<SnapCase> {
 protected:
  void SetUp() override {
    HEARTH_REQUIRE_SHARED();
    require_vulkan();
  }
};

TEST_P(GpuKvSnapshot, RestoredCacheContinuesAsTheOriginal) {
  const SnapCase& sc = GetParam();
  const auto gm = gpu_model(sc.model, sc.half);
  const auto cm = cpu_model(sc.model);
  ASSERT_NE(gm->offload(), nullptr);
  ASSERT_EQ(cm->offload(), nullptr);
  const model::HParams& hp = gm->hparams();
  EXPECT_EQ(gm->offload()->layers, sc.half ? std::max<int64_t>(1, hp.n_layer / 2) : hp.n_layer);
  const model::KvTypes types{sc.kv, sc.kv};
  const std::vector<int32_t> prompt = tokens(12, hp.n_vocab, 1), next = tokens(1, hp.n_vocab, 2);

  model::KvCache a(hp, kCtx, types), b(hp, kCtx, types), c(hp, kCtx, types);
  forward(*gm, a, prompt);
  ASSERT_NE(a.device(), nullptr) << "the offload did not attach a device half";
  const model::KvSnapshot snap = model::KvSnapshot::take(a, prompt);
  snap.restore(b);  // b has no device half yet: the first forward pass attaches and uploads
  ASSERT_EQ(b.size(), static_cast<int64_t>(prompt.size()));
  forward(*cm, c, prompt);

  const std::vector<float> la = forward(*gm, a, next), lb = forward(*gm, b, next), lc = forward(*cm, c, next);
  ASSERT_EQ(la.size(), static_cast<size_t>(hp.n_vocab));
  EXPECT_TRUE(same_bits(la, lb)) << "restored cache differs from the original by " << max_abs_diff(la, lb);
  const double d = max_abs_diff(la, lc);
  std::printf("[gpu kv snapshot] %s, %s, %s cache: max |GPU - CPU| logit %.3g\n", sc.model.c_str(),
              sc.half ? "half the layers" : "all layers", std::string(tensor::type_name(sc.kv)).c_str(), d);
  EXPECT_LE(d, kCpuTol);

  // The snapshot holds the rows the device computed (not stale or unwritten host memory): close
  // to the CPU's for the same prompt.
  const model::KvSnapshot cpu_snap = model::KvSnapshot::take(c, prompt);
  for (const auto& [gpu_rows, cpu_rows, what] :
       {std::tuple{&snap.k, &cpu_snap.k, "keys"}, std::tuple{&snap.v, &cpu_snap.v, "values"}}) {
    const std::vector<float> g = as_floats(sc.kv, *gpu_rows), w = as_floats(sc.kv, *cpu_rows);
    double mx = 0;
    for (float v : w) mx = std::max(mx, std::fabs(static_cast<double>(v)));
    EXPECT_LE(max_abs_diff(g, w), kCpuTol * std::max(1.0, mx)) << "snapshot " << what << " vs the CPU's";
  }

  // Restoring into a cache whose device half holds another sequence: the rows restore wrote on
  // the host must win over the stale device rows, both in the next forward pass and in a
  // snapshot taken before it.
  for (const bool snapshot_first : {false, true}) {
    SCOPED_TRACE(snapshot_first ? "snapshot taken right after restoring" : "forward right after restoring");
    model::KvCache used(hp, kCtx, types);
    forward(*gm, used, tokens(20, hp.n_vocab, 3));
    ASSERT_NE(used.device(), nullptr);
    snap.restore(used);
    if (snapshot_first) {
      const model::KvSnapshot again = model::KvSnapshot::take(used, prompt);
      EXPECT_TRUE(again.k == snap.k && again.v == snap.v) << "the snapshot holds the device's stale rows";
    }
    EXPECT_TRUE(same_bits(forward(*gm, used, next), la)) << "the restored cache continues differently";
  }
}

TEST_P(GpuKvSnapshot, TruncatedCacheContinuesAsAFreshOne) {
  const SnapCase& sc = GetParam();
  const auto gm = gpu_model(sc.model, sc.half);
  ASSERT_NE(gm->offload(), nullptr);
  const model::HParams& hp = gm->hparams();
  const model::KvTypes types{sc.kv, sc.kv};
  const std::vector<int32_t> first = tokens(8, hp.n_vocab, 4), other = tokens(3, hp.n_vocab, 5);

  model::KvCache t(hp, kCtx, types);
  forward(*gm, t, first);
  t.truncate(5);
  const std::vector<float> lt = forward(*gm, t, other);
  ASSERT_EQ(t.size(), 8);

  std::vector<int32_t> fresh_tokens(first.begin(), first.begin() + 5);
  fresh_tokens.insert(fresh_tokens.end(), other.begin(), other.end());
  model::KvCache f(hp, kCtx, types);
  const std::vector<float> lf = forward(*gm, f, fresh_tokens);
  EXPECT_LE(max_abs_diff(lt, lf), kTruncateTol) << "truncated to 5 and continued vs a fresh run of the same 8 tokens";
}

std::string snapshot_case_name(const ::testing::TestParamInfo<SnapCase>& info) {
  std::string s =
      info.param.model + (info.param.half ? "_half_" : "_all_") + std::string(tensor::type_name(info.param.kv));
  for (char& ch : s)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Caches, GpuKvSnapshot, ::testing::ValuesIn(snapshot_cases()), snapshot_case_name);

// Q8_0 caches stay on the CPU: with GPU layers the first forward pass refuses them with advice.
TEST(GpuKvSnapshotChecks, QuantizedCacheIsRefusedWithAdvice) {
  HEARTH_REQUIRE_SHARED();
  require_vulkan();
  if (HasFatalFailure() || IsSkipped()) return;
  for (const bool half : {false, true}) {
    SCOPED_TRACE(half ? "half the layers" : "all layers");
    const auto gm = gpu_model("tiny-qwen2-Q8_0", half);
    const model::HParams& hp = gm->hparams();
    ASSERT_EQ(hp.head_dim_k % 32, 0) << "Q8_0 rows need whole blocks per head";
    model::KvCache c(hp, kCtx, {Type::Q8_0, Type::Q8_0});
    try {
      forward(*gm, c, tokens(4, hp.n_vocab, 6));
      ADD_FAILURE() << "a Q8_0 cache ran on the GPU";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::unsupported) << e.what();
      const std::string msg = e.what();
      EXPECT_NE(msg.find("f32"), std::string::npos) << msg;
      EXPECT_NE(msg.find("f16"), std::string::npos) << msg;
    }
    EXPECT_EQ(c.size(), 0);
  }
}

}  // namespace
}  // namespace hearth::test
