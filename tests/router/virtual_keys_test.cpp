// Virtual keys in the library: the sliding-window limiter, the hashed store (seen by a second
// connection as `hearth keys` in another process would be), and the router applying a key's
// models, rate limits and budget.
#include <gtest/gtest.h>

#include "router/key_store.h"
#include "router/rate_limit.h"
#include "router/router.h"
#include "scripts.h"
#include "support/shared_data.h"

using namespace hearth;
using namespace hearth::router;

TEST(RateLimiter, RequestsPerMinuteSlideAndSayHowLongToWait) {
  RateLimiter l;
  EXPECT_EQ(l.admit("k", 2, 0, 100.0), 0);
  EXPECT_EQ(l.admit("k", 2, 0, 110.0), 0);
  EXPECT_NEAR(l.admit("k", 2, 0, 120.0), 40.0, 1e-9);  // the first leaves the window at 160
  EXPECT_EQ(l.admit("other", 2, 0, 120.0), 0);         // keys are separate
  EXPECT_EQ(l.admit("k", 2, 0, 160.5), 0);
  EXPECT_NEAR(l.admit("k", 2, 0, 161.0), 9.0, 1e-9);   // now 110 is the oldest
  EXPECT_EQ(l.admit("k", 0, 0, 161.0), 0);             // no limits: always admitted
}

TEST(RateLimiter, TokensPerMinute) {
  RateLimiter l;
  EXPECT_EQ(l.admit("k", 0, 100, 0.0), 0);
  l.add_tokens("k", 60, 1.0);
  EXPECT_EQ(l.admit("k", 0, 100, 2.0), 0);  // 60 < 100
  l.add_tokens("k", 70, 3.0);
  EXPECT_NEAR(l.admit("k", 0, 100, 4.0), 57.0, 1e-9);  // 130 until the 60 from t=1 leave at 61
  EXPECT_EQ(l.admit("k", 0, 100, 61.5), 0);
}

TEST(KeyStore, HashedCreateFindRevokeAcrossConnections) {
  auto dir = test::make_temp_dir("keys");
  KeyStore a(dir / "keys.db"), b(dir / "keys.db");  // b plays the running gateway
  EXPECT_FALSE(b.any_active());
  VirtualKey spec;
  spec.name = "ci";
  spec.budget_usd = 2.5;
  spec.period = Period::day;
  spec.models = {"mini", "openai:*"};
  spec.rpm = 10;
  const std::string secret = a.create(spec);
  EXPECT_EQ(secret.rfind("hk-", 0), 0u);
  auto found = b.find(secret);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "ci");
  EXPECT_EQ(found->prefix, secret.substr(0, 9));
  EXPECT_DOUBLE_EQ(found->budget_usd, 2.5);
  EXPECT_EQ(found->period, Period::day);
  EXPECT_TRUE(found->allows("mini"));
  EXPECT_TRUE(found->allows("openai:gpt-4o"));
  EXPECT_FALSE(found->allows("anthropic:claude"));
  EXPECT_FALSE(b.find(secret + "0"));
  EXPECT_FALSE(b.find("sk-other"));
  EXPECT_THROW(a.create(spec), Error);  // name taken
  spec.name = "bad name";
  EXPECT_THROW(a.create(spec), Error);
  a.revoke("ci");
  EXPECT_FALSE(b.find(secret));
  EXPECT_FALSE(b.any_active());
  EXPECT_FALSE(b.by_name("ci")->revoked.empty());
  EXPECT_THROW(a.revoke("nobody"), Error);
  // The secret itself is nowhere in the file.
  EXPECT_EQ(test::read_file(dir / "keys.db").find(secret), std::string::npos);
}

TEST(KeyStore, RouterAppliesTheKeysModelsRateAndBudget) {
  test::FakeUpstream up;
  up.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++up.hits;
    test::openai_reply(q, s, "ok");  // 10 in + 4 out
  });
  auto dir = test::make_temp_dir("keys-router");
  auto cfg = parse_config("providers:\n  p: {type: openai, base_url: '" + up.url() + "'}\n"
                          "models:\n  - {name: m, provider: p, model: m, input_price: 1000, output_price: 1000}\n"
                          "ledger_dir: '" + (dir / "ledger").string() + "'\n");
  double clock = 0;
  RouterOptions o;
  o.now_ms = [&] { return clock; };
  o.sleep_ms = [](double) {};
  Router r(cfg, o);
  auto store = std::make_shared<KeyStore>(dir / "keys.db");
  VirtualKey spec;
  spec.name = "team";
  spec.models = {"m"};
  spec.rpm = 2;
  spec.budget_usd = 0.03;
  store->create(spec);
  r.set_keys(store);
  auto ask = [&](const std::string& model) {
    ChatRequest c;
    c.model = model;
    c.api_key_id = "team";
    c.max_tokens = 4;
    c.messages.push_back({Role::user, "hello"});
    return r.chat(c);
  };
  try {
    ask("p:m");
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::refused);
    EXPECT_EQ(e.gateway_status(), 403);
  }
  ask("m");  // $0.014
  ask("m");  // $0.028
  try {
    ask("m");
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::rate_limit);
    EXPECT_NEAR(e.retry_after(), 60, 1e-9);
  }
  clock += 61000;
  try {
    ask("m");  // $0.028 spent + up to $0.008 > $0.03
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::budget) << e.what();
  }
  EXPECT_EQ(up.hits, 2);
  EXPECT_NEAR(r.budget().spent("team"), 0.028, 1e-9);
}
