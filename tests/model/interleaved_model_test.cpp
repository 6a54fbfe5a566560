// Load-time placement (model/weights_place.cpp): on the SIMD paths Q4_0, Q8_0 and the K-quant
// matrices (stacked experts too) move into the interleaved layout, the logits stay within rounding
// of the row layout, the other matrices move row for row with the same logits, and the process
// does not keep two copies of the weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/thread_pool.h"
#include "model/model.h"
#include "support/shared_data.h"
#include "tensor/dispatch.h"

namespace {
using hearth::model::KvCache;
using hearth::model::Model;
using hearth::tensor::Layout;

std::shared_ptr<Model> load(const std::string& file, bool repack) {
  hearth::model::LoadOptions o;
  o.repack = repack;
  return Model::load(hearth::test::shared_path("models/" + file).string(), o);
}

// Whether the path models load with (the best one) repacks: every SIMD tier does today.
bool repacks() {
  using namespace hearth::tensor;
  return kernels_for(best_isa()).table[static_cast<uint32_t>(Type::Q4_0)].interleave_pays;
}

// A test name from a model file name: gtest allows letters, digits and '_'.
std::string file_test_name(const ::testing::TestParamInfo<const char*>& info) {
  std::string s = info.param;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

class InterleavedModel : public ::testing::TestWithParam<const char*> {};

TEST_P(InterleavedModel, RepacksWhereItPaysAndAgreesWithRowLayout) {
  HEARTH_REQUIRE_SHARED();
  auto rows = load(GetParam(), false);
  auto packed = load(GetParam(), true);
  const auto& L = packed->weights().layers[0];
  const Layout want = repacks() ? Layout::interleaved16 : Layout::rows;
  for (const auto* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.gate, &L.up, &L.down, &L.gate_exps, &L.up_exps, &L.down_exps})
    if (*w) {
      using hearth::tensor::Type;
      const bool has_layout = w->type == Type::Q4_0 || w->type == Type::Q8_0 || w->type == Type::Q4_K ||
                              w->type == Type::Q5_K || w->type == Type::Q6_K;
      EXPECT_EQ(w->layout, has_layout ? want : Layout::rows) << w->name;
    }
  // An untied token_embd keeps the file's rows; a tied one is the output's interleaved copy.
  const auto& W = packed->weights();
  if (W.output.name == W.token_embd.name) {
    EXPECT_EQ(W.token_embd.data, W.output.data);
    EXPECT_EQ(W.token_embd.layout, W.output.layout);
  } else {
    EXPECT_EQ(W.token_embd.layout, Layout::rows);
  }
  EXPECT_EQ(rows->weights().layers[0].wq.layout, Layout::rows);

  hearth::ThreadPool pool(2);
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 300, 17, 95};
  KvCache ca(rows->hparams(), 64), cb(packed->hparams(), 64);
  std::vector<float> a, b;
  rows->forward(ca, prompt, true, a, &pool);
  packed->forward(cb, prompt, true, b, &pool);
  ASSERT_EQ(a.size(), b.size());
  // Same integer block sums, different float order. The random-weight models attend sharply and
  // amplify roundings at a few positions, so the median is tight and the worst case is held to
  // the golden tolerance for these types (0.2 for Q8_0, 0.35 for Q4_0).
  std::vector<double> diff(a.size());
  for (size_t i = 0; i < a.size(); ++i) diff[i] = std::fabs(static_cast<double>(a[i]) - b[i]);
  std::sort(diff.begin(), diff.end());
  EXPECT_LT(diff[diff.size() / 2], 0.01) << GetParam();
  EXPECT_LT(diff.back(), 0.2) << GetParam();

  // Generation after the batch equals a one-token-at-a-time run bit for bit.
  KvCache cc(packed->hparams(), 64);
  std::vector<float> step;
  for (size_t t = 0; t < prompt.size(); ++t) {
    packed->forward(cc, std::span<const int32_t>(&prompt[t], 1), false, step, &pool);
    const int64_t V = packed->n_vocab();
    for (int64_t v = 0; v < V; ++v) ASSERT_EQ(step[v], b[t * V + v]) << "position " << t << " token " << v;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, InterleavedModel, ::testing::Values("tiny-llama-Q4_0.gguf", "tiny-llama-Q8_0.gguf",
                                                                          "tiny-llama-Q4_K_M.gguf", "tiny-llama-Q5_K_M.gguf", "tiny-qwen2-Q8_0.gguf",
                                                                          "tiny-qwen3moe-Q4_K_M.gguf", "tiny-llamamoe-Q8_0.gguf"),
                         file_test_name);

// Matrices no path repacks still leave the file's mapping for the huge-page arena (generation
// streams them), in their rows, so every logit is the one the mapping gives.
class ArenaModel : public ::testing::TestWithParam<const char*> {};

TEST_P(ArenaModel, RowLayoutMatricesMoveWithTheSameLogits) {
  HEARTH_REQUIRE_SHARED();
  auto rows = load(GetParam(), false);
  auto placed = load(GetParam(), true);
  auto in_file_of = [](const Model& m, const void* p) {
    const auto* map = m.file().mapping();
    const auto* b = static_cast<const uint8_t*>(p);
    return map && b >= map->data() && b < map->data() + map->size();
  };
  auto in_file = [&](const void* p) { return in_file_of(*placed, p); };
  int moved = 0;
  for (const auto& L : placed->weights().layers)
    for (const auto* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.gate, &L.up, &L.down, &L.gate_exps, &L.up_exps, &L.down_exps})
      if (*w) {
        EXPECT_EQ(w->layout, Layout::rows) << w->name;
        EXPECT_FALSE(in_file(w->data)) << w->name << " is still read from the file";
        ++moved;
      }
  EXPECT_GT(moved, 0);
  EXPECT_TRUE(in_file_of(*rows, rows->weights().layers[0].wq.data)) << "HEARTH_REPACK=0 keeps the mapping";

  hearth::ThreadPool pool(2);
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 300, 17, 95};
  KvCache ca(rows->hparams(), 64), cb(placed->hparams(), 64);
  std::vector<float> a, b;
  rows->forward(ca, prompt, true, a, &pool);
  placed->forward(cb, prompt, true, b, &pool);
  ASSERT_EQ(a, b);
}

INSTANTIATE_TEST_SUITE_P(Models, ArenaModel,
                         ::testing::Values("tiny-llama-F16.gguf", "tiny-llama-Q4_1.gguf", "tiny-llamamoe-F32.gguf"),
                         file_test_name);

// Resident bytes of this process's mappings of `path` (/proc/self/smaps).
int64_t mapped_rss(const std::string& path) {
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool ours = false;
  int64_t total = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
        line.find(' ') != std::string::npos) {
      ours = line.size() >= path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0;
    } else if (ours && line.rfind("Rss:", 0) == 0) {
      total += std::stoll(line.substr(4)) * 1024;
    }
  }
  return total;
}

TEST(InterleavedModelMemory, RepackedWeightsAreNotKeptTwice) {
  HEARTH_REQUIRE_SHARED();
  if (!repacks()) GTEST_SKIP() << "this CPU's best path keeps the row layout (no SIMD tier)";
  // The largest shared Q8_0 file, mostly its tied embedding (repacked with the output).
  const auto path = std::filesystem::canonical(hearth::test::shared_path("models/tiny-qwen2-bpe-Q8_0.gguf"));
  const auto file_size = static_cast<int64_t>(std::filesystem::file_size(path));
  auto m = Model::load(path.string());
  KvCache cache(m->hparams(), 64);
  std::vector<float> logits;
  hearth::ThreadPool pool(1);
  const std::vector<int32_t> tokens = {1, 403, 407, 261};
  m->forward(cache, tokens, false, logits, &pool);
  // Every repacked weight's file pages were dropped after the copy and nothing reads them again:
  // what stays mapped is the header (this file's vocabulary makes it ~6 MB), norms and biases.
  const auto header = static_cast<int64_t>(m->file().data_offset());
  EXPECT_LT(mapped_rss(path.string()), header + (file_size - header) / 5);
  auto rows = load(path.filename().string(), false);
  KvCache cache2(rows->hparams(), 64);
  rows->forward(cache2, tokens, false, logits, &pool);
  EXPECT_GT(mapped_rss(path.string()), file_size / 2) << "the row layout reads its weights from the file";
}

}  // namespace
