// `hearth route` and `hearth ledger` as a user runs them, and the gateway's Ollama and Anthropic
// error shapes over HTTP.
#include <gtest/gtest.h>

#include <fstream>

#include "router/gateway.h"
#include "scripts.h"
#include "support/shared_data.h"
#include "support/listen.h"

using namespace hearth;
using namespace hearth::router;
using hearth::test::FakeUpstream;

namespace {

std::filesystem::path write_config(const std::filesystem::path& dir, const std::string& url) {
  auto p = dir / "router.yaml";
  std::ofstream(p) << "providers:\n  fake: {type: openai, base_url: '" << url << "', timeout_ms: 3000}\n"
                   << "models:\n  - {name: smart, provider: fake, model: up-model, input_price: 1000, output_price: 1000}\n"
                   << "retry: {backoff_ms: 1, backoff_max_ms: 2}\n";
  return p;
}

}  // namespace

TEST(RouterCli, RouteShowsAttemptsAndLedgerSumsSpend) {
  FakeUpstream up;
  up.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    if (++up.hits == 1) return test::openai_error(s, 500, "flaky");
    test::openai_reply(q, s, "routed answer");
  });
  auto dir = test::make_temp_dir("router-cli");
  auto cfg = write_config(dir, up.url());
  std::string env = "HEARTH_HOME='" + dir.string() + "' ";
  std::string out;
  ASSERT_EQ(test::run_command(env + test::hearth_bin() + " route --config " + cfg.string() + " -p hi --model smart --json", &out), 0) << out;
  auto j = json::parse(out);
  EXPECT_EQ(j["content"], "routed answer");
  EXPECT_EQ(j["route"]["provider"], "fake");
  ASSERT_EQ(j["route"]["attempts"].size(), 2u);
  EXPECT_EQ(j["route"]["attempts"][0]["status"], "server");
  EXPECT_NEAR(j["route"]["cost_usd"].get<double>(), 0.014, 1e-9);
  ASSERT_EQ(test::run_command(env + test::hearth_bin() + " route --config " + cfg.string() + " -p hi --model smart --stream", &out), 0);
  EXPECT_NE(out.find("routed answer"), std::string::npos);
  EXPECT_NE(out.find("provider: fake"), std::string::npos);
  ASSERT_EQ(test::run_command(env + test::hearth_bin() + " ledger --json", &out), 0) << out;
  auto l = json::parse(out);
  EXPECT_GE(l["providers"]["fake"]["requests"].get<int>(), 2);  // both answered requests (plus the failed attempt)
  EXPECT_NEAR(l["total_cost_usd"].get<double>(), 0.028, 1e-9);
  EXPECT_NE(test::run_command(env + test::hearth_bin() + " route --config " + cfg.string() + " -p hi --model smart --local-only", &out), 0);
  EXPECT_NE(test::run_command(env + test::hearth_bin() + " ledger --since yesterday", &out), 0);
}

TEST(RouterGateway, OllamaChatStreamsNdjsonAndErrorsUseEachDialectsShape) {
  FakeUpstream up;
  up.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) { test::openai_reply(q, s, "hello ollama"); });
  auto dir = test::make_temp_dir("router-gw");
  auto cfg = parse_config("providers:\n  fake: {type: openai, base_url: '" + up.url() + "'}\nledger_dir: '" + dir.string() + "'\n");
  Router r(cfg);
  Gateway gw(r, {});
  httplib::Server server;
  gw.mount(server);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t = hearth::test::listen_in_background(server);
  httplib::Client cli("127.0.0.1", port);
  auto res = cli.Post("/api/chat", R"({"model":"fake:m","messages":[{"role":"user","content":"hi"}]})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  std::string text;
  bool done = false;
  std::istringstream lines(res->body);
  for (std::string l; std::getline(lines, l);) {
    auto j = json::parse(l);
    text += j["message"]["content"].get<std::string>();
    done = j["done"].get<bool>();
  }
  EXPECT_EQ(text, "hello ollama");
  EXPECT_TRUE(done);
  auto bad = cli.Post("/v1/messages", R"({"model":"fake:m","messages":[]})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["error"]["type"], "invalid_request_error");
  auto missing = cli.Post("/v1/chat/completions", R"({"model":"nope","messages":[{"role":"user","content":"x"}]})", "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(json::parse(missing->body)["error"].contains("message"));
  auto garbage = cli.Post("/v1/chat/completions", "{not json", "application/json");
  EXPECT_EQ(garbage->status, 400);
  server.stop();
  t.join();
}

// `hearth gateway` has /health and Prometheus /metrics (behind its key) with per-target
// attempts and circuit states.
TEST(RouterGateway, HealthAndMetricsShowTargetsAndCircuits) {
  FakeUpstream up;
  up.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& s) {
    if (json::parse(q.body)["model"] == "bad") return test::openai_error(s, 500, "down");
    test::openai_reply(q, s, "fine");
  });
  auto dir = test::make_temp_dir("router-ops");
  auto cfg = parse_config("providers:\n  fake: {type: openai, base_url: '" + up.url() + "'}\n"
                          "retry: {backoff_ms: 1, backoff_max_ms: 1, retries_per_model: 0}\n"
                          "circuit_breaker: {failures: 1, cooldown_ms: 60000}\nledger_dir: '" + dir.string() + "'\n");
  Router r(cfg);
  GatewayOptions go;
  go.api_keys["ops"] = "k";
  Gateway gw(r, go);
  httplib::Server server;
  gw.mount(server);
  gw.mount_ops(server);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t = hearth::test::listen_in_background(server);
  httplib::Client cli("127.0.0.1", port);
  httplib::Headers key = {{"Authorization", "Bearer k"}};
  auto ok = cli.Post("/v1/chat/completions", key, R"({"model":"fake:good","messages":[{"role":"user","content":"x"}]})", "application/json");
  auto bad = cli.Post("/v1/chat/completions", key, R"({"model":"fake:bad","messages":[{"role":"user","content":"x"}]})", "application/json");
  ASSERT_TRUE(ok && bad);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(bad->status, 502);
  auto health = cli.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto h = json::parse(health->body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["open_circuits"], json::array({"fake:bad"}));
  EXPECT_EQ(cli.Get("/metrics")->status, 401);
  auto m = cli.Get("/metrics", key);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("hearth_router_attempts_total{target=\"fake:good\",result=\"ok\"} 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("hearth_router_attempts_total{target=\"fake:bad\",result=\"error\"} 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("hearth_router_circuit{target=\"fake:bad\"} 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("hearth_router_circuit{target=\"fake:good\"} 0"), std::string::npos) << m->body;
  // Both requests are in the overhead histogram; its buckets are cumulative and end at the count.
  EXPECT_NE(m->body.find("# TYPE hearth_router_overhead_seconds histogram"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("hearth_router_overhead_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("hearth_router_overhead_seconds_count 2\n"), std::string::npos) << m->body;
  {
    std::istringstream lines(m->body);
    std::string line;
    int64_t prev = 0, buckets = 0;
    while (std::getline(lines, line))
      if (line.rfind("hearth_router_overhead_seconds_bucket", 0) == 0) {
        const int64_t n = std::stoll(line.substr(line.rfind(' ') + 1));
        EXPECT_GE(n, prev) << line;
        prev = n;
        ++buckets;
      }
    EXPECT_EQ(buckets, static_cast<int64_t>(std::size(Router::kOverheadBoundsMs)) + 1);
  }
  // The answer says what the router added.
  EXPECT_TRUE(json::parse(ok->body)["hearth"].contains("overhead_ms")) << ok->body;
  server.stop();
  t.join();
}
