// Embeddings through the provider interface: Gemini's embedContent / batchEmbedContents wire
// format against a loopback fake, and the router's refusal of providers without an embeddings API.
#include <gtest/gtest.h>

#include "router/provider.h"
#include "router/router.h"
#include "scripts.h"
#include "support/shared_data.h"

using namespace hearth;
using namespace hearth::router;
using hearth::test::FakeUpstream;

namespace {

// Gemini answers each text with [length, index-in-batch]: order and batching are visible.
void mount_gemini(FakeUpstream& up, std::vector<std::string>& paths, std::vector<json>& bodies) {
  auto rec = [&](const httplib::Request& q) {
    std::lock_guard<std::mutex> lk(up.mu);
    paths.push_back(q.path);
    bodies.push_back(json::parse(q.body));
    EXPECT_EQ(q.get_header_value("x-goog-api-key"), "g-secret");
  };
  up.server().Post("/v1beta/models/text-embedding-004:embedContent", [&, rec](const httplib::Request& q, httplib::Response& s) {
    rec(q);
    auto j = json::parse(q.body);
    float len = static_cast<float>(j["content"]["parts"][0]["text"].get<std::string>().size());
    s.set_content(json{{"embedding", {{"values", {len, 0.5}}}}}.dump(), "application/json");
  });
  up.server().Post("/v1beta/models/text-embedding-004:batchEmbedContents", [&, rec](const httplib::Request& q, httplib::Response& s) {
    rec(q);
    auto j = json::parse(q.body);
    json embs = json::array();
    for (size_t i = 0; i < j["requests"].size(); ++i) {
      const auto& r = j["requests"][i];
      EXPECT_EQ(r["model"], "models/text-embedding-004");
      float len = static_cast<float>(r["content"]["parts"][0]["text"].get<std::string>().size());
      embs.push_back({{"values", {len, static_cast<float>(i)}}});
    }
    s.set_content(json{{"embeddings", embs}}.dump(), "application/json");
  });
  up.server().Post("/v1beta/models/missing:embedContent", [](const httplib::Request&, httplib::Response& s) {
    s.status = 404;
    s.set_content(R"({"error":{"code":404,"message":"models/missing is not found","status":"NOT_FOUND"}})", "application/json");
  });
}

ProviderConfig gemini_cfg(const std::string& url) {
  ProviderConfig c;
  c.name = "gem";
  c.type = "gemini";
  c.base_url = url;
  c.api_key = "g-secret";
  c.http.read_timeout_ms = 2000;
  return c;
}

}  // namespace

TEST(RouterEmbeddings, GeminiSingleTextUsesEmbedContent) {
  FakeUpstream up;
  std::vector<std::string> paths;
  std::vector<json> bodies;
  mount_gemini(up, paths, bodies);
  auto p = make_provider(gemini_cfg(up.url()));
  EXPECT_TRUE(p->offers_embeddings());
  auto r = p->embed({"text-embedding-004", {"hello"}, ""});
  ASSERT_EQ(r.vectors.size(), 1u);
  EXPECT_EQ(r.vectors[0], (std::vector<float>{5, 0.5}));
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0], "/v1beta/models/text-embedding-004:embedContent");
  EXPECT_EQ(bodies[0], (json{{"content", {{"parts", json::array({{{"text", "hello"}}})}}}}));
}

TEST(RouterEmbeddings, GeminiManyTextsBatchInGroupsOfAHundredInOrder) {
  FakeUpstream up;
  std::vector<std::string> paths;
  std::vector<json> bodies;
  mount_gemini(up, paths, bodies);
  auto p = make_provider(gemini_cfg(up.url()));
  EmbeddingRequest req{"text-embedding-004", {}, ""};
  for (int i = 0; i < 150; ++i) req.input.push_back(std::string(static_cast<size_t>(i + 1), 'x'));
  auto r = p->embed(req);
  ASSERT_EQ(r.vectors.size(), 150u);
  for (int i = 0; i < 150; ++i) EXPECT_EQ(r.vectors[i], (std::vector<float>{float(i + 1), float(i % 100)})) << i;
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0], "/v1beta/models/text-embedding-004:batchEmbedContents");
  EXPECT_EQ(bodies[0]["requests"].size(), 100u);
  EXPECT_EQ(bodies[1]["requests"].size(), 50u);
}

TEST(RouterEmbeddings, GeminiErrorsMapToTheErrorModel) {
  FakeUpstream up;
  std::vector<std::string> paths;
  std::vector<json> bodies;
  mount_gemini(up, paths, bodies);
  auto p = make_provider(gemini_cfg(up.url()));
  try {
    p->embed({"missing", {"a"}, ""});
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_NE(std::string(e.what()).find("models/missing is not found"), std::string::npos) << e.what();
  }
  up.server().Post("/v1beta/models/bad:embedContent", [](const httplib::Request&, httplib::Response& s) {
    s.set_content(R"({"embedding":{}})", "application/json");
  });
  try {
    p->embed({"bad", {"a"}, ""});
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::server);
    EXPECT_NE(std::string(e.what()).find("no 'values' array"), std::string::npos) << e.what();
  }
}

TEST(RouterEmbeddings, RouterSendsGeminiEmbeddingsAndRefusesAnthropicBeforeSending) {
  FakeUpstream gem, anth;
  std::vector<std::string> paths;
  std::vector<json> bodies;
  mount_gemini(gem, paths, bodies);
  anth.server().Post(".*", [&](const httplib::Request&, httplib::Response& s) {
    ++anth.hits;
    s.status = 500;
  });
  auto dir = test::make_temp_dir("router-embed");
  setenv("HEARTH_TEST_GEMINI_KEY", "g-secret", 1);
  setenv("HEARTH_TEST_ANTHROPIC_KEY", "a-secret", 1);
  std::string y = "providers:\n"
                  "  gem: {type: gemini, base_url: '" + gem.url() + "', api_key_env: HEARTH_TEST_GEMINI_KEY}\n"
                  "  claude: {type: anthropic, base_url: '" + anth.url() + "', api_key_env: HEARTH_TEST_ANTHROPIC_KEY}\n"
                  "policies:\n"
                  "  emb: {strategy: fallback, models: ['claude:claude-3-5-haiku-latest', 'gem:text-embedding-004']}\n"
                  "ledger_dir: '" + (dir / "ledger").string() + "'\n";
  Router r(parse_config(y), RouterOptions{});
  auto ok = r.embed({"gem:text-embedding-004", {"hi", "there"}, ""});
  ASSERT_EQ(ok.vectors.size(), 2u);
  EXPECT_EQ(ok.route.provider, "gem");
  // In a policy the Anthropic target is skipped, not tried.
  auto via = r.embed({"emb", {"abc"}, ""});
  EXPECT_EQ(via.vectors[0], (std::vector<float>{3, 0.5}));
  EXPECT_EQ(via.route.attempts.size(), 1u);
  try {
    r.embed({"claude:claude-3-5-haiku-latest", {"hi"}, ""});
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported);
    EXPECT_EQ(e.gateway_status(), 400);
    std::string m = e.what();
    EXPECT_NE(m.find("claude:claude-3-5-haiku-latest (type anthropic) has no embeddings API"), std::string::npos) << m;
  }
  EXPECT_EQ(anth.hits, 0);
  // Nothing left the machine for the refused request, so the ledger holds only the Gemini calls.
  Ledger ledger(dir / "ledger");
  for (const auto& rec : ledger.read()) EXPECT_EQ(rec.provider, "gem");
}
