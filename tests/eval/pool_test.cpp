// Sharding over a pool: one queue that every endpoint's workers take from (a slow endpoint takes
// fewer), per-endpoint concurrency, a failing endpoint's requests moved to the others, and a
// clear error when none is left. The endpoints are a fake provider keyed by model name.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "eval/backend_remote_pool.h"

using namespace hearth;
using namespace hearth::eval;

namespace {

// "fast:m" answers at once, "slow:m" after 30 ms, "dead:m" refuses the connection, "bad:m"
// rejects the request. Generation returns "<prompt>!" so results are checkable.
class Endpoints : public router::Provider {
 public:
  std::string name() const override { return "fake"; }
  void chat_stream(const router::ChatRequest&, const router::StreamSink&) override {
    throw router::ProviderError(router::ErrorKind::unsupported, "no chat");
  }
  void completion_stream(const router::CompletionRequest& req, const router::StreamSink& sink) override {
    auto provider = req.model.substr(0, req.model.find(':'));
    {
      std::lock_guard lk(mu);
      ++calls[provider];
      in_flight[provider] = std::max(in_flight[provider], ++now[provider]);
    }
    struct Leave {
      Endpoints* e;
      std::string p;
      ~Leave() {
        std::lock_guard lk(e->mu);
        --e->now[p];
      }
    } leave{this, provider};
    if (provider == "dead") throw router::ProviderError(router::ErrorKind::network, "connection refused");
    if (provider == "bad") throw router::ProviderError(router::ErrorKind::bad_request, "prompt rejected");
    std::this_thread::sleep_for(std::chrono::milliseconds(provider == "slow" ? 30 : 1));
    router::StreamEvent s{router::StreamEvent::Kind::start};
    sink(s);
    router::StreamEvent t{router::StreamEvent::Kind::text};
    t.text = req.prompt + "!";
    sink(t);
    router::StreamEvent f{router::StreamEvent::Kind::finish};
    sink(f);
  }
  std::mutex mu;
  std::map<std::string, int> calls, now, in_flight;
};

router::Pool pool(std::vector<router::PoolEndpoint> eps) { return {"p", std::move(eps)}; }

std::vector<GenerateRequest> prompts(int n) {
  std::vector<GenerateRequest> r(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) r[static_cast<size_t>(i)].context = "q" + std::to_string(i);
  return r;
}

}  // namespace

TEST(EvalPool, SlowEndpointTakesFewerAndConcurrencyIsPerEndpoint) {
  auto eps = std::make_shared<Endpoints>();
  PoolBackend b(eps, pool({{"fast:m", 2}, {"slow:m", 1}}));
  EXPECT_EQ(b.id(), "pool:p");
  std::vector<size_t> seen;
  auto out = b.generate(prompts(60), [&](size_t i, const std::string&) { seen.push_back(i); });
  ASSERT_EQ(out.size(), 60u);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(out[static_cast<size_t>(i)], "q" + std::to_string(i) + "!");
  EXPECT_EQ(seen.size(), 60u);
  EXPECT_EQ(eps->calls["fast"] + eps->calls["slow"], 60);
  EXPECT_GT(eps->calls["slow"], 0);
  EXPECT_GT(eps->calls["fast"], 3 * eps->calls["slow"]);
  EXPECT_LE(eps->in_flight["fast"], 2);
  EXPECT_EQ(eps->in_flight["slow"], 1);
  auto d = b.describe();
  EXPECT_EQ(d["endpoints"][0]["requests"].get<int>() + d["endpoints"][1]["requests"].get<int>(), 60);
}

TEST(EvalPool, FailingEndpointsRequestsGoToTheOthers) {
  auto eps = std::make_shared<Endpoints>();
  PoolBackend b(eps, pool({{"dead:m", 4}, {"fast:m", 1}}));
  auto out = b.generate(prompts(20), nullptr);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(out[static_cast<size_t>(i)], "q" + std::to_string(i) + "!");
  EXPECT_EQ(eps->calls["fast"], 20);
  auto d = b.describe();
  EXPECT_EQ(d["endpoints"][0]["error"], "connection refused");
  // Taken out for the rest of the run: the next batch does not try it again.
  int dead_calls = eps->calls["dead"];
  b.generate(prompts(5), nullptr);
  EXPECT_EQ(eps->calls["dead"], dead_calls);
}

TEST(EvalPool, NoEndpointLeftIsAnErrorNamingEachFailure) {
  auto eps = std::make_shared<Endpoints>();
  PoolBackend b(eps, pool({{"dead:m", 2}, {"dead:n", 1}}));
  try {
    b.generate(prompts(4), nullptr);
    FAIL();
  } catch (const router::ProviderError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("pool 'p': every endpoint failed"), std::string::npos) << m;
    EXPECT_NE(m.find("dead:n: connection refused"), std::string::npos) << m;
  }
}

TEST(EvalPool, RequestErrorsAreNotRetriedElsewhere) {
  auto eps = std::make_shared<Endpoints>();
  PoolBackend b(eps, pool({{"bad:m", 1}, {"slow:m", 1}}));
  EXPECT_THROW(b.generate(prompts(3), nullptr), router::ProviderError);
  EXPECT_EQ(eps->calls["bad"], 1);
}
