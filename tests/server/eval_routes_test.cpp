// The read-only eval runs API (/api/hearth/eval/runs) over real HTTP: listing newest first with
// main metrics, one run's results, unreadable runs, path traversal, and the server's API key.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/json.h"
#include "server/eval_routes.h"
#include "app/model_server.h"
#include "support/shared_data.h"
#include "support/listen.h"

namespace hearth::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A results.json as `hearth eval run` writes it: two MMLU subjects in a group and one task.
ordered_json results(const std::string& model, int64_t date, double acc) {
  ordered_json r = ordered_json::parse(R"({
    "results": {
      "mmlu_anatomy": {"alias": "mmlu_anatomy", "acc,none": 0.5, "acc_stderr,none": 0.2},
      "mmlu_astronomy": {"alias": "mmlu_astronomy", "acc,none": 0.0, "acc_stderr,none": 0.0},
      "truthfulqa_mc1": {"alias": "truthfulqa_mc1", "acc,none": 0.25, "acc_stderr,none": "N/A"}
    },
    "groups": {"mmlu": {"alias": "mmlu", "acc,none": 0.25, "acc_stderr,none": 0.1}},
    "group_subtasks": {"mmlu": ["mmlu_anatomy", "mmlu_astronomy"]},
    "configs": {"mmlu_anatomy": {"doc_to_text": "{{question}}"}},
    "n-samples": {"truthfulqa_mc1": {"original": 817, "effective": 4}}
  })");
  r["results"]["truthfulqa_mc1"]["acc,none"] = acc;
  r["config"] = {{"model", model}, {"limit", 4}};
  r["date"] = date;
  return r;
}

class RunsServer {
 public:
  explicit RunsServer(const fs::path& dir, std::function<bool(const httplib::Request&)> auth = {}) {
    EvalRouteOptions o;
    o.runs_dir = dir;
    o.authorize = std::move(auth);
    mount_eval_routes(http_, o);
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = hearth::test::listen_in_background(http_);
    for (int i = 0; i < 500 && !http_.is_running(); ++i) std::this_thread::sleep_for(2ms);
  }
  ~RunsServer() {
    http_.stop();
    thread_.join();
  }
  httplib::Result get(const std::string& path, const httplib::Headers& h = {}) {
    httplib::Client c("127.0.0.1", port_);
    return c.Get(path, h);
  }

 private:
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
};

class EvalRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("hearth-eval-routes");
    write(dir_ / "2026-11-24T10-00-00_old" / "results.json", results("local:/m/stories260K.gguf", 1764000000, 0.25).dump());
    write(dir_ / "2026-11-24T11-00-00_new" / "results.json", results("local:/m/tiny-llama-Q8_0.gguf", 1764003600, 0.75).dump());
    write(dir_ / "broken" / "results.json", "{\"results\": [");
    fs::create_directories(dir_ / "not-a-run");  // no results.json: not listed
    write(dir_.parent_path() / (dir_.filename().string() + "-secret") / "results.json", results("TOP-SECRET-MODEL", 1, 0).dump());
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove_all(dir_.parent_path() / (dir_.filename().string() + "-secret"));
  }
  fs::path dir_;
};

TEST_F(EvalRoutes, ListsRunsNewestFirstWithMainMetrics) {
  RunsServer s(dir_);
  auto r = s.get("/api/hearth/eval/runs");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  auto runs = json::parse(r->body)["runs"];
  ASSERT_EQ(runs.size(), 3u) << r->body;
  EXPECT_EQ(runs[0]["id"], "2026-11-24T11-00-00_new");
  EXPECT_EQ(runs[0]["model"], "local:/m/tiny-llama-Q8_0.gguf");
  EXPECT_EQ(runs[0]["date"], 1764003600);
  // Subjects are summarized by their group.
  EXPECT_EQ(runs[0]["tasks"], json::array({"truthfulqa_mc1", "mmlu"}));
  EXPECT_EQ(runs[0]["metrics"][0], json({{"task", "truthfulqa_mc1"}, {"metric", "acc,none"}, {"value", 0.75}}));
  EXPECT_EQ(runs[0]["metrics"][1], json({{"task", "mmlu"}, {"metric", "acc,none"}, {"value", 0.25}, {"stderr", 0.1}}));
  EXPECT_EQ(runs[1]["id"], "2026-11-24T10-00-00_old");
  EXPECT_EQ(runs[2]["id"], "broken");
  EXPECT_NE(runs[2]["error"].get<std::string>().find("results.json: not a results file"), std::string::npos) << runs[2];
}

TEST_F(EvalRoutes, OneRunIsItsResultsWithoutConfigs) {
  RunsServer s(dir_);
  auto r = s.get("/api/hearth/eval/runs/2026-11-24T10-00-00_old");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = json::parse(r->body);
  EXPECT_EQ(j["id"], "2026-11-24T10-00-00_old");
  EXPECT_EQ(j["results"]["mmlu_anatomy"]["acc,none"], 0.5);
  EXPECT_EQ(j["group_subtasks"]["mmlu"].size(), 2u);
  EXPECT_FALSE(j.contains("configs"));

  auto broken = s.get("/api/hearth/eval/runs/broken");
  EXPECT_EQ(broken->status, 422) << broken->body;
  EXPECT_NE(broken->body.find("not a results file"), std::string::npos);
  auto missing = s.get("/api/hearth/eval/runs/no-such-run");
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("no evaluation run \\\"no-such-run\\\""), std::string::npos) << missing->body;
  EXPECT_EQ(s.get("/api/hearth/eval/runs/not-a-run")->status, 404);
}

TEST_F(EvalRoutes, PathTraversalIsRefused) {
  RunsServer s(dir_);
  const std::string sibling = dir_.filename().string() + "-secret";
  for (const std::string& id : {std::string("..%2F") + sibling, std::string("..%2f..%2Fetc"), std::string(".."),
                                std::string("%2E%2E"), std::string("a%5Cb"), std::string("..%2F") + dir_.filename().string() + "%2Fbroken"}) {
    auto r = s.get("/api/hearth/eval/runs/" + id);
    ASSERT_TRUE(r) << id;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << id << " -> " << r->status << " " << r->body;
    EXPECT_EQ(r->body.find("TOP-SECRET-MODEL"), std::string::npos) << id;
    EXPECT_EQ(r->body.find("\"results\""), std::string::npos) << id;
  }
  auto r = s.get("/api/hearth/eval/runs/..%2F" + sibling);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("bad run id"), std::string::npos) << r->body;
}

// Logged samples (--log-samples): which tasks have them, then pages of one task's, as the viewer
// shows them (prompt, choices, target, responses, what was scored, per-sample scores).
TEST_F(EvalRoutes, SamplesPageByPage) {
  const fs::path run = dir_ / "2026-11-24T10-00-00_old";
  std::string lines;
  for (int i = 0; i < 5; ++i)
    lines += json({{"doc_id", i}, {"doc", {{"q", "x"}}}, {"target", i % 4},
                   {"arguments", json::array({json::array({"Q" + std::to_string(i) + "\nAnswer:", " A"}),
                                              json::array({"Q" + std::to_string(i) + "\nAnswer:", " B"})})},
                   {"resps", json::array({json::array({json::array({-1.5, false})}), json::array({json::array({-0.5, true})})})},
                   {"filtered_resps", json::array({json::array({-1.5, false}), json::array({-0.5, true})})},
                   {"filter", "none"}, {"doc_hash", "abc"}, {"acc", i % 2}})
                 .dump() + "\n";
  write(run / "samples_mmlu_anatomy.jsonl", lines);
  write(run / "samples_mmlu_anatomy_2026-11-24T10-00-00.000000.jsonl", lines);  // the timestamped copy
  RunsServer s(dir_);
  auto tasks = s.get("/api/hearth/eval/runs/2026-11-24T10-00-00_old/samples");
  ASSERT_EQ(tasks->status, 200) << tasks->body;
  EXPECT_EQ(json::parse(tasks->body)["tasks"], json::array({"mmlu_anatomy"}));
  auto page = s.get("/api/hearth/eval/runs/2026-11-24T10-00-00_old/samples/mmlu_anatomy?offset=3&limit=10");
  ASSERT_EQ(page->status, 200) << page->body;
  auto j = json::parse(page->body);
  EXPECT_EQ(j["total"], 5);
  ASSERT_EQ(j["samples"].size(), 2u);
  const auto& first = j["samples"][0];
  EXPECT_EQ(first["doc_id"], 3);
  EXPECT_EQ(first["prompt"], "Q3\nAnswer:");
  EXPECT_EQ(first["choices"], json::array({" A", " B"}));
  EXPECT_EQ(first["target"], 3);
  EXPECT_EQ(first["scores"], json({{"acc", 1}}));
  EXPECT_EQ(first["filter"], "none");
  EXPECT_FALSE(first.contains("doc_hash"));
  EXPECT_EQ(s.get("/api/hearth/eval/runs/2026-11-24T10-00-00_old/samples/mmlu_anatomy")->status, 200);
  auto none = s.get("/api/hearth/eval/runs/2026-11-24T10-00-00_old/samples/gsm8k");
  EXPECT_EQ(none->status, 404);
  EXPECT_NE(none->body.find("it has: mmlu_anatomy"), std::string::npos) << none->body;
  EXPECT_EQ(s.get("/api/hearth/eval/runs/2026-11-24T10-00-00_old/samples/mmlu_anatomy?limit=999")->status, 400);
  EXPECT_EQ(s.get("/api/hearth/eval/runs/2026-11-24T10-00-00_old/samples/mmlu_anatomy?offset=-1")->status, 400);
  EXPECT_EQ(s.get("/api/hearth/eval/runs/..%2Fx/samples")->status, 400);
  EXPECT_EQ(json::parse(s.get("/api/hearth/eval/runs/2026-11-24T11-00-00_new/samples")->body)["tasks"], json::array());
}

TEST(EvalRoutesEmpty, MissingFolderHasNoRunsAndIsNotCreated) {
  const fs::path dir = test::make_temp_dir("hearth-eval-routes-none") / "eval" / "runs";
  RunsServer s(dir);
  auto r = s.get("/api/hearth/eval/runs");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["runs"], json::array());
  EXPECT_FALSE(fs::exists(dir));
  fs::remove_all(dir.parent_path().parent_path());
}

// Through `hearth serve`: the routes sit behind the server's API key like every other route.
TEST_F(EvalRoutes, ServeMountsThemBehindTheApiKey) {
  HEARTH_REQUIRE_SHARED();
  app::ServeOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.model_path = test::shared_path("models/stories260K.gguf").string();
  o.sched.n_threads = 1;
  o.api_keys["test"] = "sekrit";
  o.eval_runs_dir = dir_.string();
  app::ModelServer srv(o);
  const int port = srv.bind();
  std::thread t([&] { srv.listen(); });
  httplib::Client c("127.0.0.1", port);
  auto no_key = c.Get("/api/hearth/eval/runs");
  auto wrong = c.Get("/api/hearth/eval/runs/broken", {{"Authorization", "Bearer nope"}});
  auto ok = c.Get("/api/hearth/eval/runs", {{"Authorization", "Bearer sekrit"}});
  auto one = c.Get("/api/hearth/eval/runs/2026-11-24T11-00-00_new", {{"x-api-key", "sekrit"}});
  srv.stop();
  t.join();
  ASSERT_TRUE(no_key && wrong && ok && one);
  EXPECT_EQ(no_key->status, 401);
  EXPECT_EQ(wrong->status, 401);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(json::parse(ok->body)["runs"].size(), 3u);
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(json::parse(one->body)["config"]["model"], "local:/m/tiny-llama-Q8_0.gguf");
}

}  // namespace
}  // namespace hearth::server
