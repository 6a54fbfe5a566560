// Several models behind one `hearth serve`: loaded on demand, kept for keep_alive, the least
// recently used idle one unloaded when --max-models would be exceeded, load state in /api/ps,
// /v1/models and /metrics; Ollama's /api/pull, /api/delete and /api/copy on the model folder.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/model_server.h"
#include "core/json.h"
#include "support/shared_data.h"
#include "support/listen.h"
#include "support/vulkan.h"

namespace hearth::app {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Served {
 public:
  explicit Served(ServeOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.sched.n_threads = 1;
    o.sched.parallel = 1;
    o.sched.n_ctx = 256;
    srv_ = std::make_unique<ModelServer>(o);
    port_ = srv_->bind();
    srv_->load_async();
    thread_ = std::thread([this] { srv_->listen(); });
    for (int i = 0; i < 500 && !srv_->ready(); ++i) std::this_thread::sleep_for(10ms);
  }
  ~Served() {
    srv_->stop();
    thread_.join();
  }
  httplib::Result post(const std::string& path, const json& body) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c.Post(path.c_str(), body.dump(), "application/json");
  }
  httplib::Result get(const std::string& path) const {
    httplib::Client c("127.0.0.1", port_);
    return c.Get(path.c_str());
  }
  httplib::Result del(const std::string& path, const json& body) const {
    httplib::Client c("127.0.0.1", port_);
    return c.Delete(path.c_str(), body.dump(), "application/json");
  }
  ModelServer& server() { return *srv_; }

 private:
  std::unique_ptr<ModelServer> srv_;
  std::thread thread_;
  int port_ = 0;
};

json ask(const std::string& model, std::optional<json> keep_alive = std::nullopt) {
  json b = {{"model", model}, {"stream", false}, {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}},
            {"options", {{"num_predict", 3}, {"temperature", 0}}}};
  if (keep_alive) b["keep_alive"] = *keep_alive;
  return b;
}

std::map<std::string, bool> loaded_models(const Served& s) {
  std::map<std::string, bool> out;
  for (const auto& st : const_cast<Served&>(s).server().models().states()) out[st.name] = st.loaded;
  return out;
}

class MultiModel : public ::testing::Test {
 protected:
  void SetUp() override {
    HEARTH_REQUIRE_SHARED();
    home_ = test::make_temp_dir("hearth-multi");
    home_env_ = std::make_unique<test::ScopedEnv>("HEARTH_HOME", home_.string());
  }
  void TearDown() override {
    home_env_.reset();
    fs::remove_all(home_);
  }
  ServeOptions two_models() {
    ServeOptions o;
    o.model_path = test::shared_path("models/stories260K.gguf").string();
    o.more_models.push_back({"llama", test::shared_path("models/tiny-llama-Q8_0.gguf").string()});
    o.memory = false;
    o.web_ui = false;
    return o;
  }
  fs::path home_;
  std::unique_ptr<test::ScopedEnv> home_env_;
};

TEST_F(MultiModel, LoadsOnDemandAndEvictsTheLeastRecentlyUsedIdleModel) {
  ServeOptions o = two_models();
  o.max_models = 1;
  Served s(o);
  EXPECT_TRUE(loaded_models(s)["stories260K"]);
  EXPECT_FALSE(loaded_models(s)["llama"]);
  // /v1/models lists both once, with their state.
  auto models = json::parse(s.get("/v1/models")->body)["data"];
  std::map<std::string, std::string> status;
  for (const auto& m : models) status[m["id"]] = m.value("status", "");
  EXPECT_EQ(status["stories260K"], "loaded");
  EXPECT_EQ(status["llama"], "available");
  // Asking for the second model loads it; with one model allowed, the idle first one goes.
  auto r = s.post("/api/chat", ask("llama"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["model"], "llama");
  EXPECT_TRUE(loaded_models(s)["llama"]);
  EXPECT_FALSE(loaded_models(s)["stories260K"]);
  auto ps = json::parse(s.get("/api/ps")->body)["models"];
  ASSERT_EQ(ps.size(), 1u) << ps.dump();
  EXPECT_EQ(ps[0]["name"], "llama");
  EXPECT_GT(ps[0]["size"].get<int64_t>(), 0);
  const std::string metrics = s.get("/metrics")->body;
  EXPECT_NE(metrics.find("hearth_model_loaded{model=\"llama\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("hearth_model_loaded{model=\"stories260K\"} 0"), std::string::npos) << metrics;
  // And back: the first model reloads (Ollama clients add ":latest").
  r = s.post("/api/chat", ask("stories260K:latest"));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(loaded_models(s)["stories260K"]);
}

// Models offloaded to one GPU share its memory: with room for one model's weights at a time
// (--gpu-memory 4 MiB: stories260K takes 1.0 MiB there, the tiny llama 3.2 MiB), loading the
// second unloads the idle first, although --max-models and --max-memory would keep both.
TEST_F(MultiModel, ModelsOnTheGpuShareItsMemory) {
  test::require_vulkan();
  if (HasFatalFailure() || IsSkipped()) return;
  ServeOptions o = two_models();
  o.load.gpu_layers = model::kGpuLayersAll;
  o.load.gpu_memory = 4 << 20;
  Served s(o);
  ASSERT_TRUE(loaded_models(s)["stories260K"]);
  const auto vram = [&] {
    std::map<std::string, int64_t> out;
    const json ps = json::parse(s.get("/api/ps")->body);
    for (const auto& m : ps["models"]) out[m["name"].get<std::string>()] = m["size_vram"].get<int64_t>();
    return out;
  };
  EXPECT_GT(vram()["stories260K"], 0);
  auto r = s.post("/api/chat", ask("llama"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(loaded_models(s)["llama"]);
  EXPECT_FALSE(loaded_models(s)["stories260K"]);
  const auto v = vram();
  EXPECT_EQ(v.count("stories260K"), 0u);
  EXPECT_GT(v.at("llama"), 2 << 20);  // every layer on the device, not what 0.8 MiB would leave
}

TEST_F(MultiModel, KeepAliveZeroUnloadsAfterTheRequestAndAnEmptyGenerateLoads) {
  Served s(two_models());
  auto r = s.post("/api/chat", ask("llama", json(0)));
  ASSERT_EQ(r->status, 200) << r->body;
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !loaded_models(s)["llama"];
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(gone) << "keep_alive 0 left the model loaded";
  // Ollama's load request: an empty prompt loads the model and keeps it for keep_alive.
  auto load = s.post("/api/generate", {{"model", "llama"}, {"keep_alive", "1h"}, {"stream", false}});
  ASSERT_EQ(load->status, 200) << load->body;
  EXPECT_EQ(json::parse(load->body)["done_reason"], "load");
  EXPECT_TRUE(loaded_models(s)["llama"]);
  auto ps = json::parse(s.get("/api/ps")->body)["models"];
  std::string expires;
  for (const auto& m : ps)
    if (m["name"] == "llama") expires = m["expires_at"];
  EXPECT_FALSE(expires.empty());
  auto unload = s.post("/api/generate", {{"model", "llama"}, {"keep_alive", 0}, {"stream", false}});
  EXPECT_EQ(json::parse(unload->body)["done_reason"], "unload");
  EXPECT_EQ(s.post("/api/chat", ask("llama", json("5x")))->status, 400);  // a bad duration names the field
}

// A fake Hugging Face that serves one GGUF for /api/pull.
class FakeHub {
 public:
  explicit FakeHub(std::string body) : body_(std::move(body)) {
    server_.Get(R"(/org/repo/resolve/main/tiny\.gguf)", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(body_, "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = hearth::test::listen_in_background(server_);
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeHub() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string body_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(MultiModel, OllamaPullCopyDeleteWorkOnTheModelFolder) {
  std::ifstream in(test::shared_path("models/stories260K.gguf"), std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  FakeHub hub(bytes.str());
  ServeOptions o = two_models();
  o.hf_endpoint = hub.endpoint();
  Served s(o);
  // Streamed progress, then success; the pulled model is then served by name.
  auto pull = s.post("/api/pull", {{"model", "hf:org/repo/tiny.gguf"}});
  ASSERT_TRUE(pull);
  ASSERT_EQ(pull->status, 200) << pull->body;
  std::vector<json> lines;
  std::istringstream ls(pull->body);
  for (std::string l; std::getline(ls, l);) lines.push_back(json::parse(l));
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back()["status"], "success") << pull->body;
  auto chat = s.post("/api/chat", ask("org/repo/tiny.gguf"));
  ASSERT_EQ(chat->status, 200) << chat->body;
  // Copy under a new name, delete the original: the copy keeps working (they share the file).
  auto copy = s.post("/api/copy", {{"source", "org/repo/tiny.gguf"}, {"destination", "my-tiny"}});
  ASSERT_EQ(copy->status, 200) << copy->body;
  auto del = s.del("/api/delete", {{"model", "org/repo/tiny.gguf"}});
  ASSERT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(s.post("/api/chat", ask("my-tiny"))->status, 200);
  EXPECT_EQ(s.del("/api/delete", {{"model", "org/repo/tiny.gguf"}})->status, 404);
  EXPECT_EQ(s.post("/api/copy", {{"source", "nope"}, {"destination", "x"}})->status, 404);
  auto missing = s.post("/api/pull", {{"model", "hf:org/repo/missing.gguf"}, {"stream", false}});
  EXPECT_GE(missing->status, 400) << missing->body;
  EXPECT_TRUE(json::parse(missing->body).contains("error")) << missing->body;
}

}  // namespace
}  // namespace hearth::app
