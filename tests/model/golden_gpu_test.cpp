// The golden tests on the GPU path (docs/gpu.md): every architecture and weight type with
// all of its layers and the output head on a Vulkan device, and with the first half of its
// layers there and the rest on the CPU, held to the CPU's tolerances (shared/golden/README.md);
// the quantized types through the integer dot product where the device has it, and a few through
// the float matmuls as well.
// Without a Vulkan device they skip, except under CI (CI=true installs lavapipe), where that is a
// failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "gguf/gguf.h"
#include "golden.h"
#include "golden_expect.h"
#include "gpu/discovery.h"
#include "model/offload.h"
#include "model/quant_mix_file.h"
#include "support/shared_data.h"
#include "support/vulkan.h"

namespace hearth::test {
namespace {


struct GpuCase {
  std::string name;    // shared/models/<name>.gguf, shared/golden/<golden>
  std::string golden;
  bool half = false;   // the first half of the layers on the GPU, else all and the output head
  bool float_matmul = false;  // the float matmuls even where the device has the integer dot product
  bool cpu_moe = false;       // a mixture's experts on the CPU (--cpu-moe), else on the device
};

std::vector<GpuCase> cases() {
  // Not yet within the tolerance with the integer-dot matmuls, so listed below with the float
  // ones only (docs/gpu.md): Q3_K_M (top-1 48/49 with integer dots, also when Q3_K went up as
  // F32; 49/49 with the Q3_K float kernel: a near-tie that layer 0's non-matmul arithmetic tips).
  const char* names[] = {"stories260K",       "tiny-llama-F32",    "tiny-llama-F16",       "tiny-llama-BF16",
                         "tiny-llama-Q8_0",   "tiny-llama-Q4_0",   "tiny-llama-Q4_1",      "tiny-llama-Q5_0",
                         "tiny-llama-Q5_1",
                         "tiny-llama-Q2_K",   "tiny-llama-Q4_K_M",
                         "tiny-llama-Q5_K_M", "tiny-llama-Q6_K",   "tiny-llama3rope-Q8_0", "tiny-llama-IQ4_NL",
                         "tiny-llama-IQ4_XS", "tiny-llama-IQ3_S",  "tiny-qwen2-F32",       "tiny-qwen2-Q8_0",
                         "tiny-qwen2-Q4_K_M", "tiny-qwen2-bpe-Q8_0", "tiny-phi3-F32",      "tiny-phi3-Q8_0",
                         "tiny-phi3-Q4_K_M",  "tiny-gemma2-F32",   "tiny-gemma2-Q8_0",     "tiny-gemma2-Q4_K_M",
                         "tiny-gemma3-F32",   "tiny-llamamoe-F32", "tiny-llamamoe-Q8_0",   "tiny-llamamoe-Q4_K_M",
                         "tiny-qwen3moe-F32", "tiny-gptoss-F32"};
  std::vector<GpuCase> c;
  for (const char* n : names) c.push_back({n, std::string(n) + ".json", false});
  c.push_back({"tiny-qwen3-F32", "kv_f16/tiny-qwen3-F32.json", false});
  // Split between GPU and CPU: one per architecture and the main weight types.
  for (const char* n : {"stories260K", "tiny-llama-Q4_K_M", "tiny-llama-Q8_0", "tiny-qwen2-Q8_0", "tiny-phi3-F32",
                        "tiny-gemma2-Q8_0", "tiny-gemma3-F32",
                        "tiny-qwen3moe-F32", "tiny-gptoss-F32"})
    c.push_back({n, std::string(n) + ".json", true});
  // The float matmuls of the types that have integer-dot ones (the path of devices without the
  // integer dot product; the cases above take the integer one where the device has it). The
  // Q2_K file holds Q3_K weights too.
  for (const char* n : {"tiny-llama-Q8_0", "tiny-llama-Q4_0", "tiny-llama-Q4_K_M", "tiny-llama-Q6_K", "tiny-llama-Q5_K_M",
                        "tiny-llama-Q2_K", "tiny-llama-Q3_K_M"})
    c.push_back({n, std::string(n) + ".json", false, true});
  // Experts on the CPU beside device layers (--cpu-moe); the cases above run them on the device.
  c.push_back({"tiny-llamamoe-Q4_K_M", "tiny-llamamoe-Q4_K_M.json", false, false, true});
  c.push_back({"tiny-qwen3moe-F32", "tiny-qwen3moe-F32.json", true, false, true});
  c.push_back({"tiny-gptoss-F32", "tiny-gptoss-F32.json", false, false, true});
  return c;
}

void PrintTo(const GpuCase& c, std::ostream* os) {
  *os << c.name << (c.half ? " (half)" : " (all)") << (c.float_matmul ? " float matmuls" : "")
      << (c.cpu_moe ? " experts on the CPU" : "");
}

class GoldenGpu : public ::testing::TestWithParam<GpuCase> {};

TEST_P(GoldenGpu, MatchesLlamaCpp) {
  HEARTH_REQUIRE_SHARED();
  require_vulkan();
  if (HasFatalFailure() || IsSkipped()) return;
  const GpuCase& gc = GetParam();
  // Under the sanitizers (HEARTH_ASAN) the split cases check the host side of the offload; the
  // kernels' arithmetic, which the rest check, does not change with them.
  if (std::getenv("HEARTH_ASAN") && !gc.half) GTEST_SKIP() << "fully offloaded cases run in the release build";
  json golden = json::parse(read_file(shared_path("golden/" + gc.golden)));
  const std::string path = shared_path("models/" + gc.name + ".gguf").string();
  model::LoadOptions lo;
  lo.gpu_loader = test_loader();
  lo.gpu_integer_dot = gc.float_matmul ? gpu::IntegerDot::off : gpu::IntegerDot::on;
  lo.gpu_cpu_moe = gc.cpu_moe;
  if (gc.half) {
    const int64_t n_layer = model::Model::load(path, {})->hparams().n_layer;
    lo.gpu_layers = std::max<int64_t>(1, n_layer / 2);
  } else {
    lo.gpu_layers = model::kGpuLayersAll;
  }
  auto m = model::Model::load(path, lo);
  ASSERT_NE(m->offload(), nullptr);
  EXPECT_EQ(m->offload()->layers, gc.half ? lo.gpu_layers : m->hparams().n_layer);
  EXPECT_EQ(m->offload()->output, !gc.half);
  if (gc.float_matmul) EXPECT_FALSE(m->offload()->integer_dot);
  EXPECT_EQ(m->offload()->experts, m->hparams().n_expert > 0 && !gc.cpu_moe);
  Tolerance tol = tolerance_for(*m);
  if (gc.golden.rfind("kv_f16/", 0) == 0) tol = {0.2f, 0.98, "BF16/Q8_0 (KV-F16 reference)"};
  GoldenReport r = compare_golden(*m, golden, tol, gc.name == "stories260K", 2);
  std::printf("[golden gpu] %s (%lld of %lld layers on %s, %s matmuls%s): median |dlogit| %.5f (t=%.2f), top-1 %zu/%zu, greedy %d\n",
              gc.name.c_str(), static_cast<long long>(m->offload()->layers),
              static_cast<long long>(m->hparams().n_layer), m->offload()->device.c_str(), m->offload()->integer_dot ? "integer-dot" : "float",
              m->offload()->experts ? ", experts on the device" : "", r.median_diff, tol.t, r.agree,
              r.scored, r.greedy_checked);
  expect_within(r, tol);
}

// An input that several matmuls share (q, k and v read the normed hidden state; gate and up the
// FFN's) is rounded or quantized once: per layer the attention's input, wo's, the FFN's and
// down's, and once for the output head. The results do not change (the golden cases above).
TEST(GpuOffloadPass, SharedInputsArePreparedOnce) {
  HEARTH_REQUIRE_SHARED();
  require_vulkan();
  if (HasFatalFailure() || IsSkipped()) return;
  const std::string path = shared_path("models/tiny-llama-Q8_0.gguf").string();
  for (const auto dot : {gpu::IntegerDot::on, gpu::IntegerDot::off}) {
    model::LoadOptions lo;
    lo.gpu_loader = test_loader();
    lo.gpu_integer_dot = dot;
    lo.gpu_layers = model::kGpuLayersAll;
    auto m = model::Model::load(path, lo);
    ASSERT_NE(m->gpu_offload(), nullptr);
    EXPECT_EQ(m->offload()->integer_dot, dot == gpu::IntegerDot::on);
    model::KvCache cache(m->hparams(), 64);
    std::vector<float> logits;
    const std::vector<int32_t> tokens = {1, 42, 7, 300};
    m->forward(cache, tokens, false, logits, nullptr);
    const auto pass = m->gpu_offload()->last_pass();
    const int64_t L = m->hparams().n_layer;
    EXPECT_EQ(pass.matmuls, 7 * L + 1);
    EXPECT_EQ(pass.activation_preps, 4 * L + 1) << (dot == gpu::IntegerDot::on ? "integer dot" : "float matmuls");
  }
}

std::string gpu_case_name(const ::testing::TestParamInfo<GpuCase>& info) {
  std::string s = info.param.name + (info.param.half ? "_half" : "_all") + (info.param.float_matmul ? "_float" : "") +
                  (info.param.cpu_moe ? "_cpu_moe" : "");
  for (char& ch : s)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenGpu, ::testing::ValuesIn(cases()), gpu_case_name);

// --gpu-memory: `auto` fits layers into 80% of the limit, and more than the limit is a clear
// error with the sizes.
TEST(GpuOffload, MemoryLimitSizesAutoAndRefusesWhatDoesNotFit) {
  HEARTH_REQUIRE_SHARED();
  require_vulkan();
  if (HasFatalFailure() || IsSkipped()) return;
  const std::string path = shared_path("models/tiny-llama-F32.gguf").string();
  model::LoadOptions lo;
  lo.gpu_loader = test_loader();
  lo.gpu_layers = model::kGpuLayersAuto;
  lo.gpu_memory = uint64_t(1) << 30;
  auto all = model::Model::load(path, lo);
  ASSERT_NE(all->offload(), nullptr);
  const int64_t n_layer = all->hparams().n_layer;
  EXPECT_EQ(all->offload()->layers, n_layer);
  EXPECT_TRUE(all->offload()->output);
  // Room for about half of the layers' weights (80% of the limit is what auto may use).
  const uint64_t per_layer = all->offload()->weight_bytes / static_cast<uint64_t>(n_layer + 1);
  lo.gpu_memory = per_layer * 5 / 2 * 10 / 8;
  auto some = model::Model::load(path, lo);
  ASSERT_NE(some->offload(), nullptr);
  EXPECT_GE(some->offload()->layers, 1);
  EXPECT_LT(some->offload()->layers, n_layer);
  EXPECT_FALSE(some->offload()->output);
  lo.gpu_layers = model::kGpuLayersAll;
  try {
    model::Model::load(path, lo);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::out_of_range);
    const std::string m = e.what();
    EXPECT_NE(m.find("MiB"), std::string::npos) << m;
    EXPECT_NE(m.find("--gpu-memory"), std::string::npos) << m;
    EXPECT_NE(m.find("-ngl auto"), std::string::npos) << m;
  }
}

// A mixture's experts go to the device with their layers and count in its memory plan; when
// they do not fit, the error names --cpu-moe, which keeps them on the CPU. Experts of a type
// whose block minimums the device does not slice (Q4_1) stay on the CPU by themselves, and the
// model gives the same greedy tokens either way.
TEST(GpuOffload, ExpertsGoWithTheirLayersUnlessTheyCannot) {
  HEARTH_REQUIRE_SHARED();
  require_vulkan();
  if (HasFatalFailure() || IsSkipped()) return;
  const std::string path = shared_path("models/tiny-qwen3moe-F32.gguf").string();
  model::LoadOptions lo;
  lo.gpu_loader = test_loader();
  lo.gpu_layers = model::kGpuLayersAll;
  auto with = model::Model::load(path, lo);
  lo.gpu_cpu_moe = true;
  auto without = model::Model::load(path, lo);
  ASSERT_NE(with->offload(), nullptr);
  ASSERT_NE(without->offload(), nullptr);
  EXPECT_TRUE(with->offload()->experts);
  EXPECT_FALSE(without->offload()->experts);
  // Three F32 stacks of n_expert matrices of n_embd x n_ff_exp per layer.
  const model::HParams& hp = with->hparams();
  EXPECT_EQ(with->offload()->weight_bytes - without->offload()->weight_bytes,
            static_cast<uint64_t>(hp.n_layer * 3 * hp.n_expert * hp.n_embd * hp.n_ff_exp * 4));
  // A limit between the two: only --cpu-moe fits, and the error says so.
  lo.gpu_memory = (with->offload()->weight_bytes + without->offload()->weight_bytes) / 2;
  EXPECT_NE(model::Model::load(path, lo)->offload(), nullptr);
  lo.gpu_cpu_moe = false;
  try {
    model::Model::load(path, lo);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::out_of_range);
    EXPECT_NE(std::string(e.what()).find("--cpu-moe"), std::string::npos) << e.what();
  }

  const auto dir = make_temp_dir("hearth-moe-q4_1");
  const std::string q41 = (dir / "moe-q4_1.gguf").string();
  model::quantize_file({.in = path, .out = q41, .type = model::FileType::Q4_1, .n_threads = 1});
  lo.gpu_memory = 0;
  auto mixed = model::Model::load(q41, lo);
  ASSERT_NE(mixed->offload(), nullptr);
  EXPECT_FALSE(mixed->offload()->experts);
  // Greedy tokens: the device's experts and the CPU's agree on the F32 file.
  const std::vector<int32_t> prompt = {1, 42, 7, 300, 12};
  std::vector<int32_t> got[2];
  for (int i = 0; i < 2; ++i) {
    const model::Model& m = i == 0 ? *with : *without;
    model::KvCache cache(m.hparams(), 64);
    std::vector<float> logits;
    std::vector<int32_t> toks = prompt;
    for (int step = 0; step < 8; ++step) {
      m.forward(cache, toks, false, logits, nullptr);
      const auto best = std::max_element(logits.end() - m.hparams().n_vocab, logits.end()) - (logits.end() - m.hparams().n_vocab);
      got[i].push_back(static_cast<int32_t>(best));
      toks = {static_cast<int32_t>(best)};
    }
  }
  EXPECT_EQ(got[0], got[1]);
  std::filesystem::remove_all(dir);
}

// gpt-oss ships its experts as MXFP4. No shared file has them, so the tiny gpt-oss's F32 experts
// are rounded to MXFP4 here (per 32: the E8M0 scale that brings the largest magnitude under 6,
// each element to the nearest E2M1 value): the experts go to the device in that type, and the
// logits and greedy tokens match the CPU's with the same file.
std::vector<uint8_t> to_mxfp4(const float* x, int64_t n) {
  static const float kValues[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  std::vector<uint8_t> out(static_cast<size_t>(n / 32 * 17));
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* v = x + b * 32;
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[i]));
    const int e = amax > 0 ? std::clamp(static_cast<int>(std::floor(std::log2(amax))) - 2 + 127, 1, 254) : 1;
    const float d = std::ldexp(1.0f, e - 127);
    uint8_t* o = &out[b * 17];
    o[0] = static_cast<uint8_t>(e);
    for (int i = 0; i < 32; ++i) {
      int best = 0;
      for (int c = 1; c < 16; ++c)
        if (std::fabs(v[i] / d - kValues[c]) < std::fabs(v[i] / d - kValues[best])) best = c;
      o[1 + i % 16] |= static_cast<uint8_t>(i < 16 ? best : best << 4);
    }
  }
  return out;
}

TEST(GpuOffload, MxFp4ExpertsRunOnTheDevice) {
  HEARTH_REQUIRE_SHARED();
  require_vulkan();
  if (HasFatalFailure() || IsSkipped()) return;
  const gguf::File src = gguf::File::open(shared_path("models/tiny-gptoss-F32.gguf").string());
  gguf::Writer w;
  for (const auto& [k, v] : src.metadata()) w.set(k, v);
  int converted = 0;
  for (const auto& t : src.tensors()) {
    if (t.name.find("_exps.weight") != std::string::npos && t.type == tensor::Type::F32) {
      int64_t n = 1;
      for (int64_t d : t.dims) n *= d;
      const std::vector<uint8_t> q = to_mxfp4(reinterpret_cast<const float*>(t.data), n);
      w.add_tensor(t.name, tensor::Type::MXFP4, t.dims, q.data(), q.size());
      ++converted;
    } else {
      w.add_tensor(t.name, t.type, t.dims, t.data, t.nbytes);
    }
  }
  ASSERT_GT(converted, 0);
  const auto dir = make_temp_dir("hearth-mxfp4");
  const std::string path = (dir / "gptoss-mxfp4.gguf").string();
  w.write(path);
  model::LoadOptions lo;
  lo.gpu_loader = test_loader();
  lo.gpu_layers = model::kGpuLayersAll;
  auto gpu = model::Model::load(path, lo);
  auto cpu = model::Model::load(path, {});
  ASSERT_NE(gpu->offload(), nullptr);
  EXPECT_TRUE(gpu->offload()->experts);
  const int64_t V = cpu->hparams().n_vocab;
  std::vector<int32_t> toks = {1, 42, 7, 300, 12};
  model::KvCache cg(gpu->hparams(), 64), cc(cpu->hparams(), 64);
  for (int step = 0; step < 8; ++step) {
    std::vector<float> lg, lc;
    gpu->forward(cg, toks, false, lg, nullptr);
    cpu->forward(cc, toks, false, lc, nullptr);
    ASSERT_EQ(lg.size(), lc.size());
    float worst = 0, scale = 0;
    for (int64_t i = 0; i < V; ++i) {
      worst = std::max(worst, std::fabs(lg[i] - lc[i]));
      scale = std::max(scale, std::fabs(lc[i]));
    }
    EXPECT_LT(worst, 1e-3f * std::max(1.0f, scale)) << "step " << step;
    const auto best = [&](const std::vector<float>& l) {
      return static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
    };
    ASSERT_EQ(best(lg), best(lc)) << "step " << step;
    toks = {best(lc)};
  }
  std::filesystem::remove_all(dir);
}

// Without a Vulkan loader the model runs on the CPU (one log line says so) instead of failing.
TEST(GpuOffload, NoLoaderRunsOnTheCpu) {
  HEARTH_REQUIRE_SHARED();
  model::LoadOptions lo;
  lo.gpu_loader.path = "/nonexistent/libvulkan.so.1";
  lo.gpu_layers = model::kGpuLayersAll;
  auto m = model::Model::load(shared_path("models/stories260K.gguf").string(), lo);
  EXPECT_EQ(m->offload(), nullptr);
}

TEST(GpuOffload, LayerCountsParse) {
  EXPECT_EQ(model::parse_gpu_layers("0", "-ngl"), 0);
  EXPECT_EQ(model::parse_gpu_layers("12", "-ngl"), 12);
  EXPECT_EQ(model::parse_gpu_layers("all", "-ngl"), model::kGpuLayersAll);
  EXPECT_EQ(model::parse_gpu_layers("auto", "-ngl"), model::kGpuLayersAuto);
  for (const char* bad : {"", "-1", "1x", "many", " 3"}) {
    try {
      model::parse_gpu_layers(bad, "--gpu-layers");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("--gpu-layers"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace hearth::test
