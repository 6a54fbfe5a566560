// Embeddings through a router Provider: batching, normalisation, the model name on stored
// vectors, re-embedding when the model changes, and the saved setting's validation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "memory/embed_settings.h"
#include "memory/provider_embedder.h"
#include "memory/store.h"
#include "support/shared_data.h"

namespace hearth::memory {
namespace {

// Embeds a text as (length, count of 'a', 1) scaled by `gain`; records every request.
class FakeProvider : public router::Provider {
 public:
  explicit FakeProvider(float gain = 1) : gain_(gain) {}
  std::string name() const override { return "fake"; }
  void chat_stream(const router::ChatRequest&, const router::StreamSink&) override {
    throw router::ProviderError(router::ErrorKind::unsupported, "no chat");
  }
  router::EmbeddingResponse embed(const router::EmbeddingRequest& req) override {
    requests.push_back(req);
    if (fail_next) throw router::ProviderError(router::ErrorKind::server, "upstream down");
    router::EmbeddingResponse r;
    for (const auto& t : req.input) {
      float a = 0;
      for (char c : t) a += c == 'a';
      r.vectors.push_back({gain_ * float(t.size()), gain_ * a, gain_});
    }
    if (short_answer) r.vectors.pop_back();
    return r;
  }
  std::vector<router::EmbeddingRequest> requests;
  bool fail_next = false, short_answer = false;

 private:
  float gain_;
};

TEST(ProviderEmbedder, BatchesNormalisesAndNamesTheModel) {
  auto p = std::make_shared<FakeProvider>(3);
  ProviderEmbedder e(p, "fake:emb");
  EXPECT_EQ(e.name(), "fake:emb");
  std::vector<std::string> texts(ProviderEmbedder::kBatch + 5, "banana");
  auto v = e.embed(texts);
  ASSERT_EQ(v.size(), texts.size());
  ASSERT_EQ(p->requests.size(), 2u);
  EXPECT_EQ(p->requests[0].model, "fake:emb");
  EXPECT_EQ(p->requests[0].input.size(), ProviderEmbedder::kBatch);
  EXPECT_EQ(p->requests[1].input.size(), 5u);
  double norm = 0;
  for (float x : v[0]) norm += double(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-6);
}

TEST(ProviderEmbedder, ErrorsNameTheModel) {
  auto p = std::make_shared<FakeProvider>();
  ProviderEmbedder e(p, "fake:emb", "my-embedder");
  p->fail_next = true;
  try {
    e.embed({"x"});
    FAIL() << "no error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("my-embedder"), std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find("upstream down"), std::string::npos) << err.what();
  }
  p->fail_next = false;
  p->short_answer = true;
  EXPECT_THROW(e.embed({"x", "y"}), Error);
}

TEST(ProviderEmbedder, StoreKeepsTheModelNameAndReembedsOnChange) {
  auto dir = hearth::test::make_temp_dir("hearth-mem-prov");
  auto db = dir / "memory.db";
  {
    ProviderEmbedder a(std::make_shared<FakeProvider>(1), "fake:a");
    Store s(db, &a);
    Record r;
    r.text = "banana bread";
    s.add(r, "test");
    r.id.clear();
    r.text = "apple pie";
    s.add(r, "test");
    auto st = s.stats();
    ASSERT_EQ(st.vectors_by_model.size(), 1u);
    EXPECT_EQ(st.vectors_by_model[0], std::make_pair(std::string("fake:a"), size_t(2)));
  }
  {
    auto p = std::make_shared<FakeProvider>(2);
    ProviderEmbedder b(p, "fake:b");
    Store s(db, &b);
    SearchOptions o;
    o.query = "banana";
    o.mode = SearchMode::vector;
    auto hits = s.search(o);
    ASSERT_FALSE(hits.empty());
    EXPECT_NE(hits[0].why.back().find("fake:b"), std::string::npos) << hits[0].why.back();
    auto st = s.stats();
    ASSERT_EQ(st.vectors_by_model.size(), 1u);  // the old model's vectors are gone
    EXPECT_EQ(st.vectors_by_model[0], std::make_pair(std::string("fake:b"), size_t(2)));
    EXPECT_EQ(st.vectors, 2u);
  }
  std::filesystem::remove_all(dir);
}

TEST(EmbedSettings, ParsesSavesAndRefusesBadSpecs) {
  auto dir = hearth::test::make_temp_dir("hearth-mem-cfg");
  auto home = std::make_unique<hearth::test::ScopedEnv>("HEARTH_HOME", dir.string());
  EXPECT_FALSE(load_embed_setting().has_value());
  EXPECT_EQ(parse_embed_spec("hash", "x").kind, EmbedSpec::Kind::hash);
  auto l = parse_embed_spec("local:/m/a.gguf", "x");
  EXPECT_EQ(l.kind, EmbedSpec::Kind::local);
  EXPECT_EQ(l.target, "/m/a.gguf");
  EXPECT_EQ(parse_embed_spec("openai:text-embedding-3-small", "x").kind, EmbedSpec::Kind::routed);
  for (const char* bad : {"", "nonsense", "local:", ":model"}) {
    try {
      parse_embed_spec(bad, "--embed-model");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("--embed-model"), std::string::npos);
    }
  }
  save_embed_setting("openai:text-embedding-3-small");
  EXPECT_EQ(load_embed_setting().value(), "openai:text-embedding-3-small");
  EXPECT_THROW(save_embed_setting("bogus"), Error);
  EXPECT_EQ(load_embed_setting().value(), "openai:text-embedding-3-small");  // untouched
  save_embed_setting("");
  EXPECT_FALSE(load_embed_setting().has_value());
  std::ofstream(embed_config_path()) << "[1,2]";
  EXPECT_THROW(load_embed_setting(), Error);
  home.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hearth::memory
