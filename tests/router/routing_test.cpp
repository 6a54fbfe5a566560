// Routing behaviour against fake upstreams: retries, fallback, stream safety, circuit breaker,
// policies, budgets, ledger and --local-only.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "router/provider_local.h"
#include "router/router.h"
#include "scripts.h"
#include "support/shared_data.h"

using namespace hearth;
using namespace hearth::router;
using hearth::test::FakeUpstream;

namespace {

struct Env {
  std::filesystem::path dir = test::make_temp_dir("router");
  std::vector<double> sleeps;
  double clock = 1000;
  RouterOptions opts() {
    RouterOptions o;
    o.seed = 0x6865617274;  // reproducible weighted choices and jitter
    o.now_ms = [this] { return clock; };
    o.sleep_ms = [this](double ms) { sleeps.push_back(ms); };
    return o;
  }
  // Two OpenAI-compatible providers "a" and "b" plus models and policies.
  std::string yaml(const std::string& a_url, const std::string& b_url, const std::string& extra = "") {
    return "providers:\n"
           "  a: {type: openai, base_url: '" + a_url + "', timeout_ms: 2000}\n"
           "  b: {type: openai, base_url: '" + b_url + "', timeout_ms: 2000}\n"
           "models:\n"
           "  - {name: am, provider: a, model: a-model, input_price: 1000, output_price: 2000, context_length: 100000, capabilities: [tools, json, streaming]}\n"
           "  - {name: bm, provider: b, model: b-model, input_price: 10, output_price: 20, context_length: 100000, capabilities: [json, streaming]}\n"
           "policies:\n"
           "  chain: {strategy: fallback, models: [am, bm]}\n"
           "  cheap: {strategy: cheapest, models: [am, bm]}\n"
           "  fast: {strategy: fastest, models: [am, bm]}\n"
           "  busy: {strategy: least_busy, models: [am, bm]}\n"
           "retry: {max_attempts: 4, retries_per_model: 2, backoff_ms: 10, backoff_max_ms: 40}\n"
           "circuit_breaker: {failures: 3, cooldown_ms: 1000}\n"
           "ledger_dir: '" + (dir / "ledger").string() + "'\n" + extra;
  }
};

ChatRequest ask(const std::string& model) {
  ChatRequest r;
  r.model = model;
  r.request_id = "req-1";
  r.messages.push_back({Role::user, "hello"});
  return r;
}

std::string stream_text(Router& r, const ChatRequest& req, RouteInfo* info = nullptr) {
  std::string out;
  auto i = r.stream(req, [&](const StreamEvent& e) {
    out += e.text;
    return true;
  });
  if (info) *info = i;
  return out;
}

}  // namespace

TEST(RouterRouting, RetriesRateLimitHonouringRetryAfterThenSucceeds) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    if (++a.hits == 1) return test::openai_error(s, 429, "slow down", "1");
    test::openai_reply(q, s, "ok-a");
  });
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  auto resp = r.chat(ask("am"));
  EXPECT_EQ(resp.message.content, "ok-a");
  ASSERT_EQ(resp.route.attempts.size(), 2u);
  EXPECT_EQ(resp.route.attempts[0].status, "rate_limit");
  EXPECT_EQ(resp.route.attempts[0].http_status, 429);
  ASSERT_EQ(env.sleeps.size(), 1u);
  EXPECT_DOUBLE_EQ(env.sleeps[0], 1000.0);  // retry-after: 1 s
}

TEST(RouterRouting, ServerErrorBacksOffExponentiallyWithJitter) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    if (++a.hits <= 2) return test::openai_error(s, 500, "boom");
    test::openai_reply(q, s, "third time");
  });
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  EXPECT_EQ(r.chat(ask("am")).message.content, "third time");
  ASSERT_EQ(env.sleeps.size(), 2u);
  EXPECT_GE(env.sleeps[0], 5.0);
  EXPECT_LE(env.sleeps[0], 10.0);
  EXPECT_GE(env.sleeps[1], 10.0);
  EXPECT_LE(env.sleeps[1], 20.0);
}

// The router's own time is the request's minus the provider calls and the waits between
// retries. On a clock that only the upstream (40 ms a call), the backoff and the request's
// preparation (3 ms) move, the router adds exactly the 3 ms.
TEST(RouterRouting, OverheadIsTheTimeOutsideCallsAndWaits) {
  FakeUpstream a, b;
  std::atomic<double> clock{1000};
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    clock.fetch_add(40);
    const int hit = ++a.hits;
    if (hit == 1) return test::openai_error(s, 500, "boom");
    if (hit >= 3) return test::openai_error(s, 400, "bad request");
    test::openai_reply(q, s, "second time");
  });
  Env env;
  RouterOptions o = env.opts();
  o.now_ms = [&] { return clock.load(); };
  o.sleep_ms = [&](double ms) { clock.fetch_add(ms); };
  Router r(parse_config(env.yaml(a.url(), b.url())), o);
  ChatRequest req = ask("am");
  req.for_target = [&](ChatRequest&, const std::string&, bool) { clock.fetch_add(3); };
  const ChatResponse resp = r.chat(req);
  EXPECT_EQ(resp.message.content, "second time");
  ASSERT_EQ(resp.route.attempts.size(), 2u);
  EXPECT_DOUBLE_EQ(resp.route.overhead_ms, 3.0);
  EXPECT_GT(resp.route.latency_ms, 83.0);  // two calls, one wait, the preparation
  EXPECT_DOUBLE_EQ(resp.route.to_json()["overhead_ms"].get<double>(), 3.0);
  const Router::OverheadHistogram h = r.overhead();
  EXPECT_EQ(h.total, 1u);
  EXPECT_DOUBLE_EQ(h.sum_ms, 3.0);
  // 3 ms falls in the bucket up to 5 ms.
  const size_t five = static_cast<size_t>(std::find(std::begin(Router::kOverheadBoundsMs), std::end(Router::kOverheadBoundsMs), 5.0) -
                                          std::begin(Router::kOverheadBoundsMs));
  ASSERT_LT(five, h.counts.size());
  EXPECT_EQ(h.counts[five], 1u);
  // A request that fails (a 400 is not retried) is counted too.
  EXPECT_THROW(r.chat(ask("am")), ProviderError);
  EXPECT_EQ(r.overhead().total, 2u);
}

TEST(RouterRouting, AuthErrorIsNotRetriedButFallsBack) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request&, httplib::Response& s) {
    ++a.hits;
    test::openai_error(s, 401, "bad key");
  });
  b.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++b.hits;
    test::openai_reply(q, s, "from b");
  });
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  auto resp = r.chat(ask("chain"));
  EXPECT_EQ(resp.message.content, "from b");
  EXPECT_EQ(a.hits, 1);
  EXPECT_EQ(resp.route.provider, "b");
  EXPECT_EQ(resp.route.attempts[0].status, "auth");
  EXPECT_TRUE(env.sleeps.empty());
}

TEST(RouterRouting, TotalAttemptsAreCapped) {
  FakeUpstream a, b;
  auto fail500 = [](FakeUpstream& u) {
    return [&u](const httplib::Request&, httplib::Response& s) {
      ++u.hits;
      test::openai_error(s, 503, "down");
    };
  };
  a.server().Post("/chat/completions", fail500(a));
  b.server().Post("/chat/completions", fail500(b));
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  try {
    r.chat(ask("chain"));
    FAIL();
  } catch (const RouteError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::overloaded);
    EXPECT_EQ(e.info().attempts.size(), 4u);
  }
  EXPECT_EQ(a.hits, 3);  // 1 + 2 retries
  EXPECT_EQ(b.hits, 1);  // then the cap of 4
}

TEST(RouterRouting, DropBeforeTokensFallsBackDropAfterTokensDoesNot) {
  FakeUpstream a, b;
  int drop_at = 0;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++a.hits;
    test::openai_reply(q, s, "partial answer", drop_at);
  });
  b.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++b.hits;
    test::openai_reply(q, s, "from b");
  });
  Env env;
  auto cfg = env.yaml(a.url(), b.url());
  cfg += "";
  auto parsed = parse_config(cfg);
  parsed.retry.retries_per_model = 0;
  Router r(parsed, env.opts());
  // Dropped before any content: the client saw nothing, so b answers.
  RouteInfo info;
  EXPECT_EQ(stream_text(r, ask("chain"), &info), "from b");
  EXPECT_EQ(info.attempts.size(), 2u);
  // Dropped after two content frames: no re-send, the error surfaces.
  drop_at = 3;
  int b_before = b.hits;
  std::string got;
  EXPECT_THROW(r.stream(ask("chain"), [&](const StreamEvent& e) { got += e.text; return true; }), RouteError);
  EXPECT_EQ(got, "partia");  // role frame + two 3-byte content frames
  EXPECT_EQ(b.hits, b_before);
}

TEST(RouterRouting, SlowFirstByteTimesOutAndRetries) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    if (++a.hits == 1) std::this_thread::sleep_for(std::chrono::milliseconds(150));
    test::openai_reply(q, s, "fast now");
  });
  Env env;
  auto cfg = parse_config(env.yaml(a.url(), b.url()));
  cfg.providers["a"].http.read_timeout_ms = 50;
  Router r(cfg, env.opts());
  auto resp = r.chat(ask("am"));
  EXPECT_EQ(resp.message.content, "fast now");
  EXPECT_EQ(resp.route.attempts[0].status, "timeout");
}

TEST(RouterRouting, CircuitOpensThenHalfOpensAfterCooldown) {
  FakeUpstream a, b;
  bool healthy = false;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++a.hits;
    if (!healthy) return test::openai_error(s, 500, "broken");
    test::openai_reply(q, s, "a is back");
  });
  b.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) { test::openai_reply(q, s, "b"); });
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  EXPECT_EQ(r.chat(ask("chain")).message.content, "b");  // 3 failures on a open its circuit
  EXPECT_EQ(a.hits, 3);
  EXPECT_EQ(r.breaker("a"), BreakerState::open);
  auto resp = r.chat(ask("chain"));
  EXPECT_EQ(a.hits, 3);  // skipped while open
  EXPECT_EQ(resp.route.attempts[0].status, "circuit_open");
  env.clock += 1001;
  EXPECT_EQ(r.breaker("a"), BreakerState::half_open);
  healthy = true;
  EXPECT_EQ(r.chat(ask("chain")).message.content, "a is back");
  EXPECT_EQ(r.breaker("a"), BreakerState::closed);
}

// A provider failing for one model keeps serving its others: circuits are per model.
TEST(RouterRouting, CircuitsArePerModelNotPerProvider) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++a.hits;
    if (json::parse(q.body)["model"] == "a-model") return test::openai_error(s, 500, "a-model is down");
    test::openai_reply(q, s, "a-other answers");
  });
  b.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) { test::openai_reply(q, s, "b"); });
  Env env;
  std::string yaml = env.yaml(a.url(), b.url());
  yaml.replace(yaml.find("policies:\n"), 10, "  - {name: other, provider: a, model: a-other}\npolicies:\n");
  Router r(parse_config(yaml), env.opts());
  EXPECT_EQ(r.chat(ask("chain")).message.content, "b");  // a-model fails 3 times: its circuit opens
  EXPECT_EQ(r.breaker("a:a-model"), BreakerState::open);
  EXPECT_EQ(r.breaker("a:a-other"), BreakerState::closed);
  EXPECT_EQ(r.breaker("a"), BreakerState::open);  // a provider's name: its most open circuit
  EXPECT_EQ(r.chat(ask("other")).message.content, "a-other answers");
}

// Without a seed each router draws its own, so processes retrying one upstream do not back off
// in lockstep.
TEST(RouterRouting, RetryJitterDiffersBetweenRoutersByDefault) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request&, httplib::Response& s) { test::openai_error(s, 500, "x"); });
  std::vector<double> first;
  for (int i = 0; i < 2; ++i) {
    Env env;
    RouterOptions o = env.opts();
    o.seed = 0;
    Router r(parse_config(env.yaml(a.url(), b.url())), o);
    EXPECT_THROW(r.chat(ask("am")), ProviderError);
    ASSERT_EQ(env.sleeps.size(), 2u);
    if (i == 0) first = env.sleeps;
    else EXPECT_NE(env.sleeps, first);
  }
}

TEST(RouterRouting, CheapestHonoursCapabilities) {
  Env env;
  Router r(parse_config(env.yaml("http://127.0.0.1:1", "http://127.0.0.1:1")), env.opts());
  auto req = ask("cheap");
  EXPECT_EQ(r.plan(req).front().entry.provider, "b");
  req.tools.push_back({"t", "", json::object()});  // only am declares tools
  auto p = r.plan(req);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].entry.provider, "a");
  req.messages[0].content.assign(500000, 'x');  // beyond every context length
  EXPECT_THROW(r.plan(req), ProviderError);
}

TEST(RouterRouting, FastestPrefersMeasuredFasterTarget) {
  FakeUpstream a, b;
  Env env;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    env.clock += 80;  // a takes 80 ms on the injected clock
    test::openai_reply(q, s, "a");
  });
  b.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    env.clock += 5;
    test::openai_reply(q, s, "b");
  });
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  // Warm-up: unmeasured targets go first, so both get measured.
  EXPECT_EQ(r.chat(ask("fast")).route.provider, "a");
  EXPECT_EQ(r.chat(ask("fast")).route.provider, "b");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.chat(ask("fast")).route.provider, "b");
  EXPECT_GT(r.stats("a:a-model").ttft_ms, r.stats("b:b-model").ttft_ms);
}

TEST(RouterRouting, WeightedSplitsTrafficByWeight) {
  Env env;
  auto cfg = parse_config(env.yaml("http://127.0.0.1:1", "http://127.0.0.1:1"));
  // Two replicas weighted 3:1.
  cfg.models.push_back({"w2", "b", "r2", 0, 0, 1, {}});
  cfg.policies["wpol"] = {"wpol", Strategy::weighted, {"a:r1", "w2"}};
  cfg.models.push_back({"", "a", "r1", 0, 0, 3, {}});
  Router r(cfg, env.opts());
  int first_a = 0, n = 4000;
  for (int i = 0; i < n; ++i) first_a += r.plan(ask("wpol")).front().entry.provider == "a";
  double frac = double(first_a) / n;
  EXPECT_GT(frac, 0.72);
  EXPECT_LT(frac, 0.78);
}

TEST(RouterRouting, LeastBusyAvoidsTheTargetWithRequestsInFlight) {
  FakeUpstream a, b;
  std::atomic<bool> release{false}, entered{false};
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    entered = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    test::openai_reply(q, s, "a");
  });
  b.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) { test::openai_reply(q, s, "b"); });
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  EXPECT_EQ(r.plan(ask("busy")).front().entry.provider, "a");
  std::thread t([&] { r.chat(ask("busy")); });
  while (!entered) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(r.stats("a:a-model").in_flight, 1);
  EXPECT_EQ(r.chat(ask("busy")).route.provider, "b");
  release = true;
  t.join();
}

TEST(RouterRouting, BudgetsAndLedger) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++a.hits;
    test::openai_reply(q, s, "paid");
  });
  Env env;
  // 10 in * 1000 + 4 out * 2000 per million = $0.018 per call; reserved beforehand: ~4 input
  // tokens estimated + max_tokens 4 = $0.012.
  std::string y = env.yaml(a.url(), b.url(), "budgets: {period: month, global_usd: 1.0, keys: {team: 0.04}}\n");
  {
    Router r(parse_config(y), env.opts());
    auto req = ask("am");
    req.api_key_id = "team";
    req.max_tokens = 4;
    req.memory_ids = {"mem-1", "mem-2"};
    auto resp = r.chat(req);
    EXPECT_NEAR(resp.route.cost_usd, 0.018, 1e-9);
    r.chat(req);  // $0.018 spent + $0.012 reserved <= $0.04: allowed
    try {
      r.chat(req);  // $0.036 + $0.012 > $0.04
      FAIL();
    } catch (const ProviderError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::budget);
      EXPECT_NE(std::string(e.what()).find("the budget for key 'team' would be exceeded: spent $0.036 this month, $0 reserved by calls in flight, "
                                           "and up to $0.012 for this call (a:a-model, ~4 input tokens, max_tokens 4) against a limit of $0.04"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(a.hits, 2);
    auto other = ask("am");
    other.max_tokens = 4;
    EXPECT_EQ(r.chat(other).message.content, "paid");  // other callers still have global budget
    // Without max_tokens the worst case is the rest of the context (100,000 tokens at $2000/M).
    try {
      r.chat(ask("am"));
      FAIL();
    } catch (const ProviderError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::budget);
      EXPECT_NE(std::string(e.what()).find("the global budget would be exceeded"), std::string::npos) << e.what();
    }
    EXPECT_DOUBLE_EQ(r.budget().reserved(), 0);
  }
  {
    // A model's max_output_tokens bounds the worst case: 4 input + 10 output tokens = $0.024 fits.
    auto capped = y;
    capped.replace(capped.find("context_length: 100000, capabilities: [tools"), 22, "context_length: 100000, max_output_tokens: 10");
    Router r(parse_config(capped), env.opts());
    EXPECT_EQ(r.chat(ask("am")).message.content, "paid");
  }
  // Spend persists through the ledger into a new router.
  Router r2(parse_config(y), env.opts());
  auto req = ask("am");
  req.api_key_id = "team";
  req.max_tokens = 4;
  EXPECT_THROW(r2.chat(req), ProviderError);
  Ledger ledger(env.dir / "ledger");
  auto recs = ledger.read();
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].provider, "a");
  EXPECT_EQ(recs[0].model, "a-model");
  EXPECT_EQ(recs[0].input_tokens, 10);
  EXPECT_EQ(recs[0].key, "team");
  EXPECT_EQ(recs[0].memory_ids, (std::vector<std::string>{"mem-1", "mem-2"}));
  EXPECT_EQ(recs[0].request_id, "req-1");
}

// Ten calls at once under a budget that holds two: each reserves its worst case before it is
// sent, so the budget is never passed (it was: 10 parallel calls under $0.005 spent $0.015).
TEST(RouterRouting, ConcurrentCallsCannotOvershootABudget) {
  FakeUpstream a, b;
  std::atomic<int> in_flight{0}, most{0};
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++a.hits;
    int now = ++in_flight;
    for (int m = most; now > m && !most.compare_exchange_weak(m, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    --in_flight;
    test::openai_reply(q, s, "paid");  // usage: 10 in, 4 out = $0.018
  });
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url(), "budgets: {period: all, global_usd: 0.05}\n")), env.opts());
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 10; ++i)
    callers.emplace_back([&] {
      ChatRequest req;
      req.model = "am";
      req.max_tokens = 4;
      req.messages.push_back({Role::user, std::string(28, 'x')});  // estimated at 10 input tokens
      try {
        r.chat(req);
        ++ok;
      } catch (const ProviderError& e) {
        if (e.kind() == ErrorKind::budget) ++refused;
      }
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(refused, 8);
  EXPECT_EQ(a.hits, 2);
  EXPECT_NEAR(r.budget().spent(), 0.036, 1e-9);
  EXPECT_LE(r.budget().spent(), 0.05);
  EXPECT_DOUBLE_EQ(r.budget().reserved(), 0);
}

// An upstream that reports no usage is charged hearth's estimate, not $0, and the ledger says so.
TEST(RouterRouting, NoUsageFromUpstreamIsCountedByEstimate) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request&, httplib::Response& s) {
    json reply = {{"id", "x"}, {"object", "chat.completion"}, {"model", "a-model"},
                  {"choices", json::array({{{"index", 0}, {"message", {{"role", "assistant"}, {"content", std::string(40, 'y')}}},
                                            {"finish_reason", "stop"}}})}};
    s.set_content(reply.dump(), "application/json");
  });
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  ChatRequest req = ask("am");
  req.messages[0].content = std::string(28, 'x');
  auto resp = r.chat(req);
  // 10 input tokens (28 + 8 bytes / 4 + 1) and 10 output (40 bytes / 4), at $1000 and $2000/M.
  EXPECT_NEAR(resp.route.cost_usd, 0.03, 1e-9);
  auto recs = Ledger(env.dir / "ledger").read();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].status, "ok");
  EXPECT_TRUE(recs[0].estimated);
  EXPECT_EQ(recs[0].input_tokens, 10);
  EXPECT_EQ(recs[0].output_tokens, 10);
}

// A stream the client abandons reached the provider: it is recorded as cancelled, with the tokens
// seen so far, and charged.
TEST(RouterRouting, CancelledStreamIsRecordedWithTheTokensSeen) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++a.hits;
    test::openai_reply(q, s, std::string(60, 'z'));  // 20 deltas of 3 bytes
  });
  Env env;
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  ChatRequest req = ask("am");
  int deltas = 0;
  try {
    r.stream(req, [&](const StreamEvent& e) { return e.kind != StreamEvent::Kind::text || ++deltas < 4; });
    FAIL() << "the stream should end as cancelled";
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::cancelled) << e.what();
  }
  EXPECT_EQ(a.hits, 1);
  auto recs = Ledger(env.dir / "ledger").read();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].status, "cancelled");
  EXPECT_EQ(recs[0].model, "a-model");
  EXPECT_TRUE(recs[0].estimated);
  EXPECT_EQ(recs[0].input_tokens, 4);
  EXPECT_EQ(recs[0].output_tokens, 3);  // 4 deltas of 3 bytes seen
  EXPECT_GT(recs[0].cost_usd, 0);
}

// Appends from many threads share writes and fdatasyncs; each returns once its line is durable,
// and reading folds each attempt's "sent" and outcome lines into one record.
TEST(RouterLedger, GroupCommitAndFolding) {
  auto dir = test::make_temp_dir("ledger-group");
  Ledger ledger(dir);
  std::vector<std::thread> ts;
  for (int i = 0; i < 32; ++i)
    ts.emplace_back([&, i] {
      LedgerRecord sent;
      sent.time = "2026-12-05T10:00:00.000Z";
      sent.attempt = "att" + std::to_string(i);
      sent.provider = "p";
      sent.status = "sent";
      sent.sent_line = true;
      sent.input_tokens = 5;
      sent.cost_usd = 0.5;
      ledger.append(sent);
      if (i % 4 == 0) return;  // these never get an outcome (as if the process died)
      LedgerRecord done = sent;
      done.sent_line = false;
      done.status = "ok";
      done.output_tokens = i;
      done.cost_usd = 1;
      ledger.append(done);
    });
  for (auto& t : ts) t.join();
  EXPECT_LT(ledger.commits(), 56u);  // 56 lines, fewer flushes (2 cores: usually far fewer)
  auto recs = ledger.read();
  ASSERT_EQ(recs.size(), 32u);
  int sent = 0;
  double cost = 0;
  for (const auto& r : recs) {
    if (r.status == "sent") {
      ++sent;
      EXPECT_EQ(r.output_tokens, 0);
    } else {
      EXPECT_EQ(r.status, "ok");
    }
    cost += r.cost_usd;
  }
  EXPECT_EQ(sent, 8);
  EXPECT_DOUBLE_EQ(cost, 8 * 0.5 + 24 * 1.0);
  // A write that fails (directory replaced by a file) is an error to the caller, not silence.
  std::filesystem::remove_all(dir);
  { std::ofstream(dir) << "x"; }
  LedgerRecord r;
  r.provider = "p";
  EXPECT_THROW(ledger.append(r), Error);
  std::filesystem::remove(dir);
}

// write() puts the line in the file at once (a kill of the process can no longer lose it); the
// flusher makes it durable without the writer waiting, and sync() waits for that flush.
TEST(RouterLedger, WrittenAtOnceSyncedByTheFlusher) {
  auto dir = test::make_temp_dir("ledger-flusher");
  uint64_t last = 0;
  {
    Ledger ledger(dir);
    LedgerRecord r;
    r.time = "2026-12-05T10:00:00.000Z";
    r.provider = "p";
    r.status = "ok";
    const uint64_t first = ledger.write(r);
    EXPECT_EQ(first, 1u);
    // Another reader (a second process, `hearth ledger`) sees it before any sync was asked for.
    ASSERT_EQ(Ledger(dir).read().size(), 1u);
    ledger.sync(first);
    EXPECT_GE(ledger.commits(), 1u);
    for (int i = 0; i < 20; ++i) last = ledger.write(r);
    EXPECT_EQ(last, 21u);
    ledger.sync(last);
    EXPECT_LE(ledger.commits(), 21u);
    // Syncing an old line again returns at once.
    ledger.sync(first);
    last = ledger.write(r);  // left for the destructor to sync
  }
  EXPECT_EQ(Ledger(dir).read().size(), last);
}

TEST(RouterLedger, SyncModeFromTheConfig) {
  const std::string base = "providers:\n  a: {type: openai, base_url: 'http://127.0.0.1:1'}\nmodels:\n  - {name: m, provider: a, model: m}\n";
  EXPECT_EQ(parse_config(base).ledger_sync, LedgerSync::background);
  EXPECT_EQ(parse_config(base + "ledger_sync: strict\n").ledger_sync, LedgerSync::strict);
  EXPECT_EQ(parse_config(base + "ledger_sync: background\n").ledger_sync, LedgerSync::background);
  try {
    parse_config(base + "ledger_sync: sometimes\n", "router.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("router.yaml:5:14: ledger_sync: must be background or strict, not 'sometimes'"),
              std::string::npos) << e.what();
  }
}

// Both modes: when the client has its answer, the attempt's "sent" line is durable (a flush that
// covered it has finished) and the outcome is in the file.
TEST(RouterLedger, AnswerWaitsForTheSentLineInBothModes) {
  for (const std::string mode : {"background", "strict"}) {
    FakeUpstream a, b;
    a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) { test::openai_reply(q, s, "x"); });
    Env env;
    Router r(parse_config(env.yaml(a.url(), b.url()) + "ledger_sync: " + mode + "\n"), env.opts());
    r.chat(ask("am"));
    ASSERT_NE(r.ledger(), nullptr);
    EXPECT_GE(r.ledger()->commits(), mode == "strict" ? 2u : 1u) << mode;
    auto recs = Ledger(env.dir / "ledger").read();
    ASSERT_EQ(recs.size(), 1u) << mode;
    EXPECT_EQ(recs[0].status, "ok") << mode;
  }
}

// Nothing leaves the machine that the ledger does not hold: when the "sent" line cannot be
// written, the request is refused before it is sent.
TEST(RouterRouting, UnwritableLedgerRefusesBeforeSending) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    ++a.hits;
    test::openai_reply(q, s, "x");
  });
  Env env;
  { std::ofstream(env.dir / "ledger") << "not a directory"; }
  Router r(parse_config(env.yaml(a.url(), b.url())), env.opts());
  try {
    r.chat(ask("am"));
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::refused);
    EXPECT_NE(std::string(e.what()).find("not sent to a:a-model: the ledger could not record it"), std::string::npos) << e.what();
  }
  EXPECT_EQ(a.hits, 0);
}

TEST(RouterRouting, LedgerNeverContainsTheProviderKey) {
  FakeUpstream a, b;
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) { test::openai_reply(q, s, "x"); });
  Env env;
  setenv("HEARTH_TEST_SECRET_KEY", "sk-very-secret-123", 1);
  auto y = env.yaml(a.url(), b.url());
  y.replace(y.find("timeout_ms: 2000}"), 17, "timeout_ms: 2000, api_key_env: HEARTH_TEST_SECRET_KEY}");
  Router r(parse_config(y), env.opts());
  r.chat(ask("am"));
  for (const auto& f : std::filesystem::directory_iterator(env.dir / "ledger")) {
    auto text = test::read_file(f.path());
    EXPECT_EQ(text.find("sk-very-secret"), std::string::npos);
    EXPECT_NE(text.find("a-model"), std::string::npos);
  }
}

TEST(RouterRouting, LocalOnlyRefusesRemoteAndLocalBackendAnswers) {
  Env env;
  auto o = env.opts();
  o.local_only = true;
  Router r(parse_config(env.yaml("http://127.0.0.1:1", "http://127.0.0.1:1")), o);
  try {
    r.chat(ask("chain"));
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::refused);
  }
  try {
    r.chat(ask("local:tiny"));
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_NE(std::string(e.what()).find("no local model loaded"), std::string::npos);
  }
  struct Echo : LocalBackend {
    void chat_stream(const ChatRequest& req, const StreamSink& sink) override {
      StreamEvent t{StreamEvent::Kind::text};
      t.text = "local says " + req.model;
      sink(t);
      StreamEvent f{StreamEvent::Kind::finish};
      sink(f);
    }
    void completion_stream(const CompletionRequest&, const StreamSink&) override {}
    EmbeddingResponse embed(const EmbeddingRequest&) override { return {}; }
    json show(const std::string&) override { return json::object(); }
    std::vector<std::string> models() override { return {"tiny"}; }
  };
  r.local().set(std::make_shared<Echo>());
  auto resp = r.chat(ask("local:tiny"));
  EXPECT_EQ(resp.message.content, "local says tiny");
  EXPECT_FALSE(std::filesystem::exists(env.dir / "ledger"));  // nothing left the machine
  // A second router in the same process has its own slot: no engine there.
  Router other(parse_config(env.yaml("http://127.0.0.1:1", "http://127.0.0.1:1")), RouterOptions{.local_only = true});
  EXPECT_THROW(other.chat(ask("local:tiny")), ProviderError);
}

TEST(RouterRouting, ConfigErrorsNameTheField) {
  try {
    parse_config("providers:\n  x: {type: openai}\n", "cfg.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.yaml: providers.x.base_url"), std::string::npos);
  }
  EXPECT_THROW(parse_config("providers:\n  x: {type: openai, base_url: 'http://h', api_key: sk-1}\n"), Error);
  EXPECT_THROW(parse_config("policies:\n  p: {strategy: random, models: [a:b]}\n"), Error);
  EXPECT_THROW(parse_config("[1, 2"), Error);
}

namespace {
std::string config_error(const std::string& yaml) {
  try {
    parse_config(yaml, "router.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

// Mistakes that used to be ignored until a request failed (or forever) are errors at load, with
// the line and column an editor jumps to.
TEST(RouterRouting, ConfigMistakesAreErrorsAtLoadWithLineAndColumn) {
  const std::string providers = "providers:\n  a: {type: openai, base_url: 'http://h'}\n";
  // A misspelt setting, at every level, with the nearest known key.
  auto e = config_error(providers + "retry:\n  max_attemps: 2\n");
  EXPECT_NE(e.find("router.yaml:4:3: retry: unknown key 'max_attemps'; did you mean 'max_attempts'?"), std::string::npos) << e;
  e = config_error(providers + "polices:\n  p: {models: [a:x]}\n");
  EXPECT_NE(e.find("router.yaml:3:1: top level: unknown key 'polices'; did you mean 'policies'?"), std::string::npos) << e;
  e = config_error("providers:\n  a: {type: openai, base_url: 'http://h', timeout: 5}\n");
  EXPECT_NE(e.find("router.yaml:2:43: providers.a: unknown key 'timeout'"), std::string::npos) << e;
  e = config_error(providers + "models:\n  - {name: m, provider: a, model: x, input_cost: 1}\n");
  EXPECT_NE(e.find("models[0]: unknown key 'input_cost'"), std::string::npos) << e;
  e = config_error(providers + "budgets: {period: day, global: 5}\n");
  EXPECT_NE(e.find("budgets: unknown key 'global'; did you mean 'global_usd'?"), std::string::npos) << e;
  // A policy (or pool, or default_model) naming a model nobody defined.
  e = config_error(providers + "models:\n  - {name: mini, provider: a, model: x}\npolicies:\n  p: {models: [mini, mni]}\n");
  EXPECT_NE(e.find("router.yaml:6:22: policies.p.models[1]: 'mni' is not defined"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'mini'?"), std::string::npos) << e;
  e = config_error(providers + "policies:\n  p: {models: ['openai:gpt-4o']}\n");
  EXPECT_NE(e.find("'openai:gpt-4o' names no configured provider 'openai' (providers: a, local)"), std::string::npos) << e;
  e = config_error(providers + "default_model: smart\n");
  EXPECT_NE(e.find("default_model: 'smart' is not defined"), std::string::npos) << e;
  EXPECT_EQ(config_error(providers + "policies:\n  p: {models: ['a:x', 'local:tiny']}\ndefault_model: p\n"), "(no error)");
  // A key from an unset variable: at load, not as a 401 at the first request.
  unsetenv("HEARTH_TEST_UNSET_KEY");
  e = config_error("providers:\n  a: {type: openai, base_url: 'http://h', api_key_env: HEARTH_TEST_UNSET_KEY}\n");
  EXPECT_NE(e.find("router.yaml:2:56: providers.a.api_key_env: the environment variable HEARTH_TEST_UNSET_KEY is not set"), std::string::npos) << e;
  // A gateway client key that would silently drop out (leaving no key, an open gateway).
  e = config_error(providers + "api_keys: {alice: {env: HEARTH_TEST_UNSET_KEY}}\n");
  EXPECT_NE(e.find("api_keys.alice.env: the environment variable HEARTH_TEST_UNSET_KEY is not set"), std::string::npos) << e;
  // Wrong types say where.
  e = config_error(providers + "retry: {max_attempts: many}\n");
  EXPECT_NE(e.find("router.yaml:3:23: retry.max_attempts: has the wrong type"), std::string::npos) << e;
  e = config_error("providers:\n  a: {type: openai, base_url: 'http://h', headers: {X-A: [1]}}\n");
  EXPECT_NE(e.find("providers.a.headers.X-A: has the wrong type"), std::string::npos) << e;
}

// for_target gives each provider tried its own copy of the request (memories it may see), and the
// ledger records the memory ids that went to that provider, not the ones another one got.
TEST(RouterRouting, EachTargetGetsItsOwnPreparedRequestAndLedgerIds) {
  FakeUpstream a, b;
  b.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    b.record(q);
    test::openai_reply(q, s, "from b");
  });
  a.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    a.record(q);
    test::openai_error(s, 500, "down");
  });
  Env env;
  const std::string y = "providers:\n"
                        "  a: {type: openai, base_url: '" + a.url() + "', timeout_ms: 2000}\n"
                        "  b: {type: openai, base_url: '" + b.url() + "', timeout_ms: 2000, remote: false}\n"
                        "models:\n"
                        "  - {name: am, provider: a, model: a-model}\n"
                        "  - {name: bm, provider: b, model: b-model}\n"
                        "policies:\n  chain: {strategy: fallback, models: [am, bm]}\n"
                        "retry: {max_attempts: 4, retries_per_model: 1, backoff_ms: 1, backoff_max_ms: 1}\n"
                        "circuit_breaker: {failures: 100, cooldown_ms: 1000}\n"
                        "ledger_dir: '" + (env.dir / "ledger").string() + "'\n";
  Router r(parse_config(y), env.opts());
  auto req = ask("chain");
  std::vector<std::pair<std::string, bool>> calls;
  req.for_target = [&](ChatRequest& sent, const std::string& provider, bool remote) {
    calls.emplace_back(provider, remote);
    sent.messages.insert(sent.messages.begin(), {Role::system, remote ? "public note" : "local secret"});
    sent.memory_ids.push_back(remote ? "m-public" : "m-secret");
  };
  EXPECT_EQ(r.chat(req).message.content, "from b");
  EXPECT_EQ(stream_text(r, req), "from b");
  // Once per target and call, not per attempt.
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0], std::make_pair(std::string("a"), true));
  EXPECT_EQ(calls[1], std::make_pair(std::string("b"), false));
  ASSERT_EQ(a.bodies.size(), 4u);  // two attempts per call
  for (const auto& body : a.bodies) {
    EXPECT_NE(body.find("public note"), std::string::npos);
    EXPECT_EQ(body.find("local secret"), std::string::npos);
  }
  ASSERT_EQ(b.bodies.size(), 2u);
  for (const auto& body : b.bodies) {
    EXPECT_NE(body.find("local secret"), std::string::npos);
    EXPECT_EQ(body.find("public note"), std::string::npos);
    EXPECT_NE(body.find("b-model"), std::string::npos);
  }
  EXPECT_TRUE(req.memory_ids.empty());  // the caller's request is left as it was
  Ledger ledger(env.dir / "ledger");
  auto recs = ledger.read();
  ASSERT_EQ(recs.size(), 4u);  // a's failed attempts; b is not remote
  for (const auto& rec : recs) {
    EXPECT_EQ(rec.provider, "a");
    EXPECT_EQ(rec.memory_ids, std::vector<std::string>{"m-public"});
  }
}
