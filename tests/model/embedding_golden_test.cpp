// Encoder models against llama.cpp's embedding goldens (llamacpp-embed-v1): the tokens, the
// pooled L2-normalised embedding of every prompt and the first prompt's raw hidden states.
#include <gtest/gtest.h>

#include <cmath>

#include "support/isa_paths.h"
#include "core/error.h"
#include "core/json.h"
#include "model/model.h"
#include "support/shared_data.h"
#include "tokenizer/tokenizer.h"

namespace hearth::test {
namespace {

class EmbeddingGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(EmbeddingGolden, MatchesLlamaCpp) {
  HEARTH_REQUIRE_SHARED();
  const std::string name = GetParam();
  const json golden = json::parse(read_file(shared_path("golden/" + name + ".json")));
  ASSERT_EQ(golden["format"], "llamacpp-embed-v1");
  ASSERT_EQ(golden["pooling"], "mean");
  for (tensor::Isa isa : test::isa_paths()) {
    SCOPED_TRACE(std::string("ISA path ") + std::string(tensor::isa_name(isa)));
    model::LoadOptions lo;
    lo.isa = isa;
    auto m = model::Model::load(shared_path("models/" + name + ".gguf").string(), lo);
    ASSERT_TRUE(m->arch().encoder);
    auto tok = tokenizer::Tokenizer::from_gguf(m->file());
    const int64_t E = m->hparams().n_embd;
    double worst_cos = 1.0, worst_hidden = 0.0;
    for (const auto& p : golden["prompts"]) {
      const auto ids = tok->encode(p["text"].get<std::string>(), true, false);
      ASSERT_EQ(ids, p["tokens"].get<std::vector<int32_t>>()) << p["text"];
      model::KvCache cache(m->hparams(), static_cast<int64_t>(ids.size()));
      const model::Model::SeqBatch b{&cache, ids, true};
      std::vector<float> hidden;
      m->forward_batch(std::span<const model::Model::SeqBatch>(&b, 1), hidden, nullptr, true);
      ASSERT_EQ(hidden.size(), ids.size() * static_cast<size_t>(E));
      std::vector<double> mean(static_cast<size_t>(E), 0.0);
      for (size_t t = 0; t < ids.size(); ++t)
        for (int64_t i = 0; i < E; ++i) mean[i] += hidden[t * E + i] / static_cast<double>(ids.size());
      const auto want = p["embedding"].get<std::vector<double>>();
      double dot = 0, na = 0, nb = 0;
      for (int64_t i = 0; i < E; ++i) dot += mean[i] * want[i], na += mean[i] * mean[i], nb += want[i] * want[i];
      worst_cos = std::min(worst_cos, dot / std::sqrt(na * nb));
      if (p.contains("hidden"))
        for (size_t t = 0; t < ids.size(); ++t)
          for (int64_t i = 0; i < E; ++i)
            worst_hidden = std::max(worst_hidden, std::fabs(hidden[t * E + i] - p["hidden"][t][i].get<double>()));
    }
    std::printf("[embed] %s (%s): worst cosine %.7f, worst |hidden diff| %.5f\n", name.c_str(),
                std::string(tensor::isa_name(isa)).c_str(), worst_cos, worst_hidden);
    EXPECT_GT(worst_cos, 0.9999);
    EXPECT_LT(worst_hidden, 0.01);  // GELU through F16 on the reference side: ~1e-3 per activation
  }
}

INSTANTIATE_TEST_SUITE_P(Models, EmbeddingGolden, ::testing::Values("tiny-bert-F32", "tiny-nomic-bert-F32"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

TEST(EmbeddingModel, RefusesToGenerate) {
  HEARTH_REQUIRE_SHARED();
  auto m = model::Model::load(shared_path("models/tiny-bert-F32.gguf").string());
  model::KvCache cache(m->hparams(), 8);
  std::vector<int32_t> ids = {101, 102};
  std::vector<float> logits;
  try {
    m->forward(cache, ids, false, logits, nullptr);
    FAIL() << "an embedding model generated logits";
  } catch (const hearth::Error& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
    EXPECT_NE(std::string(e.what()).find("embedding model"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::test
