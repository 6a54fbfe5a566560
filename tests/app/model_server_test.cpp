// `hearth serve` over real HTTP on loopback, in-process: every endpoint family, the streaming
// wire formats, the prompt cache as clients see it, bad input, the queue bound and disconnects.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "core/json.h"
#include "app/model_server.h"
#include "memory/scope_policy.h"
#include "router/ledger.h"
#include "router/scripts.h"
#include "support/shared_data.h"

namespace hearth::app {
namespace {

using namespace std::chrono_literals;

class Serve {
 public:
  explicit Serve(ServeOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    if (o.model_path.empty()) o.model_path = test::shared_path("models/stories260K.gguf").string();
    if (o.sched.n_threads == 0) o.sched.n_threads = 2;
    srv_ = std::make_unique<ModelServer>(o);
    port_ = srv_->bind();
    srv_->load_async();
    thread_ = std::thread([this] { srv_->listen(); });
    for (int i = 0; i < 500 && !srv_->ready(); ++i) std::this_thread::sleep_for(10ms);
  }
  ~Serve() {
    srv_->stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  httplib::Result post(const std::string& path, const json& body, const httplib::Headers& h = {}) const {
    return client().Post(path.c_str(), h, body.dump(), "application/json");
  }
  ModelServer& server() { return *srv_; }

 private:
  std::unique_ptr<ModelServer> srv_;
  std::thread thread_;
  int port_ = 0;
};

ServeOptions opts(int parallel = 2) {
  ServeOptions o;
  o.sched.parallel = parallel;
  o.sched.n_ctx = 256 * parallel;
  return o;
}

json chat_body(const std::string& text, int max_tokens = 16) {
  return {{"model", "stories260K"}, {"messages", {{{"role", "user"}, {"content", text}}}},
          {"max_tokens", max_tokens}, {"temperature", 0}};
}

// "data: ..." payloads of an SSE body, in order.
std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    size_t end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

TEST(Serve, HealthModelsAndWebUi) {
  HEARTH_REQUIRE_SHARED();
  Serve s(opts());
  ASSERT_TRUE(s.server().ready());
  auto c = s.client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto m = c.Get("/v1/models");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("stories260K"), std::string::npos) << m->body;
  auto ui = c.Get("/");
  ASSERT_TRUE(ui);
  EXPECT_EQ(ui->status, 200);
  EXPECT_NE(ui->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(ui->body.find("<html"), std::string::npos);
  auto missing = c.Get("/no/such/page");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(Serve, ChatCompletionWithUsageAndPromptCache) {
  HEARTH_REQUIRE_SHARED();
  Serve s(opts());
  auto r1 = s.post("/v1/chat/completions", chat_body("Tell me a story about a cat."));
  ASSERT_TRUE(r1);
  ASSERT_EQ(r1->status, 200) << r1->body;
  json j1 = json::parse(r1->body);
  EXPECT_EQ(j1["object"], "chat.completion");
  const std::string reply = j1["choices"][0]["message"]["content"];
  EXPECT_FALSE(reply.empty());
  EXPECT_EQ(j1["usage"]["completion_tokens"], 16);
  EXPECT_EQ(j1["choices"][0]["finish_reason"], "length");
  const int prompt1 = j1["usage"]["prompt_tokens"];

  // The next turn carries the whole first exchange: only the new turn is processed.
  json body = chat_body("Tell me a story about a cat.");
  body["messages"].push_back({{"role", "assistant"}, {"content", reply}});
  body["messages"].push_back({{"role", "user"}, {"content", "And then?"}});
  auto r2 = s.post("/v1/chat/completions", body);
  ASSERT_TRUE(r2);
  ASSERT_EQ(r2->status, 200) << r2->body;
  json j2 = json::parse(r2->body);
  EXPECT_GE(j2["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(), prompt1 - 1) << r2->body;
}

TEST(Serve, ChatStreamFollowsOpenAiEventOrder) {
  HEARTH_REQUIRE_SHARED();
  Serve s(opts());
  json body = chat_body("Once upon a time", 8);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto r = s.post("/v1/chat/completions", body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  auto events = sse_data(r->body);
  ASSERT_GE(events.size(), 4u) << r->body;
  EXPECT_EQ(events.back(), "[DONE]");
  json first = json::parse(events[0]);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  json usage = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 8);
  json fin = json::parse(events[events.size() - 3]);
  EXPECT_EQ(fin["choices"][0]["finish_reason"], "length");
  std::string text;
  for (size_t i = 0; i + 2 < events.size(); ++i) {
    json e = json::parse(events[i]);
    if (!e["choices"].empty() && e["choices"][0]["delta"].contains("content"))
      text += e["choices"][0]["delta"]["content"].get<std::string>();
  }
  // Streaming and non-streaming give the same greedy text.
  auto plain = s.post("/v1/chat/completions", chat_body("Once upon a time", 8));
  ASSERT_TRUE(plain);
  EXPECT_EQ(text, json::parse(plain->body)["choices"][0]["message"]["content"].get<std::string>());
}

TEST(Serve, CompletionsEchoLogprobsAndEmbeddings) {
  HEARTH_REQUIRE_SHARED();
  Serve s(opts());
  auto r = s.post("/v1/completions", {{"model", "stories260K"}, {"prompt", "Once upon a time"}, {"max_tokens", 0},
                                      {"echo", true}, {"logprobs", 2}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  const auto& lp = j["choices"][0]["logprobs"];
  ASSERT_GE(lp["tokens"].size(), 3u) << r->body;
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  for (size_t i = 1; i < lp["token_logprobs"].size(); ++i) EXPECT_LE(lp["token_logprobs"][i].get<double>(), 0.0);
  EXPECT_NE(j["choices"][0]["text"].get<std::string>().find("Once upon a time"), std::string::npos);

  auto e = s.post("/v1/embeddings", {{"model", "stories260K"}, {"input", {"a cat", "a dog"}}});
  ASSERT_TRUE(e);
  ASSERT_EQ(e->status, 200) << e->body;
  json ej = json::parse(e->body);
  ASSERT_EQ(ej["data"].size(), 2u);
  EXPECT_EQ(ej["data"][0]["embedding"].size(), 64u);  // stories260K's n_embd
}

TEST(Serve, OllamaEndpoints) {
  HEARTH_REQUIRE_SHARED();
  Serve s(opts());
  auto c = s.client();
  auto v = c.Get("/api/version");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 200);
  auto tags = c.Get("/api/tags");
  ASSERT_TRUE(tags);
  EXPECT_NE(tags->body.find("stories260K"), std::string::npos);
  auto show = s.post("/api/show", {{"model", "stories260K"}});
  ASSERT_TRUE(show);
  EXPECT_EQ(show->status, 200) << show->body;
  auto gen = s.post("/api/generate", {{"model", "stories260K"}, {"prompt", "Once upon a time"},
                                      {"options", {{"num_predict", 6}, {"temperature", 0}}}});
  ASSERT_TRUE(gen);
  ASSERT_EQ(gen->status, 200) << gen->body;
  // NDJSON: one object per line, the last one done with counts and nanosecond durations.
  std::vector<json> lines;
  size_t pos = 0;
  while (pos < gen->body.size()) {
    size_t nl = gen->body.find('\n', pos);
    if (nl == std::string::npos) nl = gen->body.size();
    if (nl > pos) lines.push_back(json::parse(gen->body.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  ASSERT_GE(lines.size(), 2u);
  EXPECT_TRUE(lines.back()["done"].get<bool>());
  EXPECT_EQ(lines.back()["eval_count"], 6);
  EXPECT_GT(lines.back()["total_duration"].get<int64_t>(), 1000);
  auto emb = s.post("/api/embed", {{"model", "stories260K"}, {"input", "hello"}});
  ASSERT_TRUE(emb);
  EXPECT_EQ(emb->status, 200) << emb->body;
}

// What real clients ran into: /api/show on a real GGUF, each model listed once, a real
// version, GET /v1/models/{id}, Anthropic's stop_sequence and count_tokens.
TEST(Serve, ClientCompatibilityDetails) {
  HEARTH_REQUIRE_SHARED();
  ServeOptions o = opts();
  o.model_path = test::shared_path("models/tiny-qwen2-bpe-Q8_0.gguf").string();
  Serve s(o);
  auto c = s.client();
  const std::string name = "tiny-qwen2-bpe-Q8_0";
  auto show = s.post("/api/show", {{"model", name}});
  ASSERT_TRUE(show);
  ASSERT_EQ(show->status, 200) << show->body;
  const json sj = json::parse(show->body);
  EXPECT_EQ(sj["details"]["quantization_level"], "Q8_0");
  EXPECT_EQ(sj["details"]["family"], "qwen2");
  EXPECT_FALSE(sj["details"]["parameter_size"].get<std::string>().empty());
  for (const char* path : {"/v1/models", "/api/tags"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r);
    size_t n = 0;
    for (size_t at = 0; (at = r->body.find(name, at)) != std::string::npos; at += name.size()) ++n;
    EXPECT_EQ(n, std::string(path) == "/v1/models" ? 1u : 2u) << path << ": " << r->body;  // tags: name + model
  }
  auto version = json::parse(c.Get("/api/version")->body);
  EXPECT_NE(version["version"], "0.0.0");
  auto one = c.Get("/v1/models/" + name);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(json::parse(one->body)["id"], name);
  EXPECT_EQ(c.Get("/v1/models/nope")->status, 404);

  // A stop sequence that the (random) model is sure to produce: its own first reply's text.
  json msg = {{"model", name}, {"max_tokens", 8}, {"temperature", 0},
              {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
  auto first = s.post("/v1/messages", msg);
  ASSERT_EQ(first->status, 200) << first->body;
  const std::string text = json::parse(first->body)["content"][0]["text"];
  ASSERT_GE(text.size(), 2u);
  msg["stop_sequences"] = {text.substr(1, 1)};
  auto stopped = json::parse(s.post("/v1/messages", msg)->body);
  EXPECT_EQ(stopped["stop_reason"], "stop_sequence") << stopped.dump();
  EXPECT_EQ(stopped["stop_sequence"], text.substr(1, 1));
  msg.erase("stop_sequences");
  auto count = s.post("/v1/messages/count_tokens", msg);
  ASSERT_EQ(count->status, 200) << count->body;
  EXPECT_EQ(count->get_header_value("x-hearth-token-count"), "exact");
  EXPECT_EQ(json::parse(count->body)["input_tokens"], json::parse(first->body)["usage"]["input_tokens"]);
}

// A request with images gets 400 naming the missing vision support, in every dialect.
TEST(Serve, ImagesAreRefusedNotIgnored) {
  HEARTH_REQUIRE_SHARED();
  Serve s(opts());
  const std::string img = "data:image/png;base64,iVBORw0KGgo=";
  auto openai = s.post("/v1/chat/completions",
                       {{"model", "stories260K"},
                        {"messages", {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", "what is this?"}},
                                                                      {{"type", "image_url"}, {"image_url", {{"url", img}}}}}}}}}});
  auto anthropic = s.post("/v1/messages", {{"model", "stories260K"}, {"max_tokens", 4},
                                           {"messages", {{{"role", "user"}, {"content", {{{"type", "image"}, {"source", {{"type", "base64"}, {"media_type", "image/png"}, {"data", "iVBORw0KGgo="}}}}}}}}}});
  auto ollama = s.post("/api/chat", {{"model", "stories260K"}, {"stream", false},
                                     {"messages", {{{"role", "user"}, {"content", "hi"}, {"images", {"iVBORw0KGgo="}}}}}});
  auto generate = s.post("/api/generate", {{"model", "stories260K"}, {"prompt", "hi"}, {"stream", false}, {"images", {"iVBORw0KGgo="}}});
  for (auto* r : {&openai, &anthropic, &ollama, &generate}) {
    ASSERT_TRUE(*r);
    EXPECT_EQ((*r)->status, 400) << (*r)->body;
    EXPECT_NE((*r)->body.find("no vision support"), std::string::npos) << (*r)->body;
  }
  EXPECT_NE(openai->body.find("messages[0].content[1]"), std::string::npos) << openai->body;
}

// One model served: scripts that hard-code another name (or none) get it; --strict-model 404s.
TEST(Serve, OneModelServesUnknownNamesUnlessStrict) {
  HEARTH_REQUIRE_SHARED();
  for (bool strict : {false, true}) {
    ServeOptions o = opts();
    o.strict_model = strict;
    Serve s(o);
    json body = chat_body("Once upon a time", 4);
    body["model"] = "gpt-3.5-turbo";
    auto named = s.post("/v1/chat/completions", body);
    body.erase("model");
    auto unnamed = s.post("/v1/chat/completions", body);
    auto ollama = s.post("/api/generate", {{"model", "llama3"}, {"prompt", "hi"}, {"stream", false}, {"options", {{"num_predict", 2}}}});
    ASSERT_TRUE(named && unnamed && ollama);
    if (strict) {
      EXPECT_EQ(named->status, 404) << named->body;
      EXPECT_EQ(ollama->status, 404) << ollama->body;
      EXPECT_EQ(unnamed->status, 400) << unnamed->body;
      continue;
    }
    EXPECT_EQ(named->status, 200) << named->body;
    EXPECT_EQ(json::parse(named->body)["model"], "stories260K");
    EXPECT_EQ(named->get_header_value("x-hearth-model-substituted"), "gpt-3.5-turbo");
    EXPECT_EQ(unnamed->status, 200) << unnamed->body;
    EXPECT_EQ(ollama->status, 200) << ollama->body;
    EXPECT_EQ(json::parse(ollama->body)["model"], "stories260K");
  }
}

TEST(Serve, TokenizeDetokenizeAndMetrics) {
  HEARTH_REQUIRE_SHARED();
  Serve s(opts());
  auto t = s.post("/tokenize", {{"content", "Once upon a time"}});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->status, 200) << t->body;
  json toks = json::parse(t->body)["tokens"];
  ASSERT_FALSE(toks.empty());
  auto d = s.post("/detokenize", {{"tokens", toks}});
  ASSERT_TRUE(d);
  EXPECT_NE(json::parse(d->body)["content"].get<std::string>().find("upon a time"), std::string::npos);
  EXPECT_EQ(s.post("/detokenize", {{"tokens", {1, -5}}})->status, 400);
  EXPECT_EQ(s.post("/tokenize", {{"content", 5}})->status, 400);

  s.post("/v1/chat/completions", chat_body("hi", 4));
  auto m = s.client().Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  for (const char* name : {"hearth_requests_total 1", "hearth_generated_tokens_total 4", "hearth_queue_depth 0",
                           "hearth_slots_total 2", "hearth_generation_tokens_per_second"})
    EXPECT_NE(m->body.find(name), std::string::npos) << name << "\n" << m->body;
}

TEST(Serve, BadInputGetsTheRight4xxAndTheServerKeepsServing) {
  HEARTH_REQUIRE_SHARED();
  ServeOptions o = opts();
  o.max_body_bytes = 1 << 20;
  o.strict_model = true;  // unknown names are 404 (see OneModelServesUnknownNamesUnlessStrict)
  Serve s(o);
  auto c = s.client();
  auto status = [&](const std::string& path, const std::string& body) {
    auto r = c.Post(path.c_str(), body, "application/json");
    return r ? r->status : -1;
  };
  EXPECT_EQ(status("/v1/chat/completions", "{not json"), 400);
  EXPECT_EQ(status("/v1/chat/completions", R"({"model":"stories260K","messages":"hi"})"), 400);
  EXPECT_EQ(status("/v1/chat/completions", R"({"model":"stories260K"})"), 400);
  EXPECT_EQ(status("/v1/chat/completions", R"({"model":"stories260K","messages":[{"role":"user","content":"x"}],"max_tokens":"ten"})"), 400);
  EXPECT_EQ(status("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}"), 400);
  EXPECT_EQ(status("/v1/chat/completions", R"({"model":"nope","messages":[{"role":"user","content":"x"}]})"), 404);
  { auto r = c.Post("/v1/chat/completions", std::string(2 << 20, ' '), "application/json"); ASSERT_TRUE(r); EXPECT_EQ(r->status, 413) << r->body.substr(0, 300); }
  EXPECT_EQ(status("/api/generate", R"({"model":"stories260K","prompt":7})"), 400);
  // A prompt longer than a slot's context is refused, not truncated.
  std::string longtext;
  for (int i = 0; i < 200; ++i) longtext += "the cat sat on the mat and ";
  auto r = s.post("/v1/chat/completions", chat_body(longtext));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("context"), std::string::npos) << r->body;
  // Still serving.
  auto ok = s.post("/v1/chat/completions", chat_body("hello", 4));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

// Two servers on one port would split the requests between them (SO_REUSEPORT): the second
// refuses to start and says why.
TEST(Serve, ASecondServerOnATakenPortRefusesToStart) {
  HEARTH_REQUIRE_SHARED();
  Serve first(opts(1));
  ServeOptions o = opts(1);
  o.host = "127.0.0.1";
  o.port = first.server().port();
  o.model_path = test::shared_path("models/stories260K.gguf").string();
  ModelServer second(o);
  try {
    second.bind();
    FAIL() << "bound a port another server holds";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::io);
    EXPECT_NE(std::string(e.what()).find(std::to_string(o.port)), std::string::npos) << e.what();
  }
}

TEST(Serve, ApiKeyIsRequiredWhenSet) {
  HEARTH_REQUIRE_SHARED();
  ServeOptions o = opts();
  o.api_keys["test"] = "sekrit";
  Serve s(o);
  EXPECT_EQ(s.post("/v1/chat/completions", chat_body("hi", 2))->status, 401);
  EXPECT_EQ(s.post("/v1/chat/completions", chat_body("hi", 2), {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(s.post("/tokenize", {{"content", "hi"}})->status, 401);
  EXPECT_EQ(s.post("/v1/chat/completions", chat_body("hi", 2), {{"Authorization", "Bearer sekrit"}})->status, 200);
  EXPECT_EQ(s.client().Get("/health")->status, 200);
}

// POSTs a JSON body and hands each received chunk to on_chunk; returning false hangs up
// (this httplib has no Post overload taking a content receiver).
void post_streaming(httplib::Client& c, const std::string& path, const json& body,
                    const std::function<bool()>& on_chunk) {
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return on_chunk(); };
  c.send(req);
}

TEST(Serve, FullQueueAnswers503WithRetryAfterAndDisconnectFreesTheSlot) {
  HEARTH_REQUIRE_SHARED();
  ServeOptions o = opts(1);
  o.sched.queue_limit = 0;
  Serve s(o);
  // A stream that would run for a long time holds the only slot; its client hangs up after the
  // first bytes.
  json body = chat_body("Once upon a time", 100000);
  body["stream"] = true;
  body["logit_bias"] = {{"2", -100}};  // no end-of-text: it only stops when cancelled or full
  std::atomic<bool> got_bytes{false};
  std::thread streamer([&] {
    httplib::Client c = s.client();
    post_streaming(c, "/v1/chat/completions", body, [&] {
      got_bytes = true;
      return false;  // hang up
    });
  });
  for (int i = 0; i < 500 && !got_bytes; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(got_bytes);
  streamer.join();
  // The slot is free again quickly, so a new request succeeds.
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    auto ok = s.post("/v1/chat/completions", chat_body("hi", 2));
    status = ok ? ok->status : -1;
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);

  // A burst against the one slot with no queue: whoever finds it taken gets 503 + Retry-After
  // at once, the rest are served. (A burst, since this model finishes any one request in
  // milliseconds; repeated in the unlikely case the requests never overlapped.)
  auto rejected_metric = [&] {
    const std::string body = s.client().Get("/metrics")->body;
    const std::string key = "\nhearth_requests_rejected_total ";
    const size_t at = body.find(key);
    return at == std::string::npos ? -1L : std::stol(body.substr(at + key.size()));
  };
  const long rejected_before = rejected_metric();
  int rejected = 0, served = 0;
  for (int round = 0; round < 5 && rejected == 0; ++round) {
    std::vector<std::thread> burst;
    std::mutex mu;
    for (int k = 0; k < 8; ++k)
      burst.emplace_back([&] {
        auto r = s.post("/v1/chat/completions", chat_body("Once upon a time", 400));
        std::lock_guard<std::mutex> lk(mu);
        ASSERT_TRUE(r);
        if (r->status == 503) {
          ++rejected;
          EXPECT_FALSE(r->get_header_value("Retry-After").empty());
          EXPECT_NE(r->body.find("busy"), std::string::npos) << r->body;
        } else {
          EXPECT_EQ(r->status, 200) << r->body;
          ++served;
        }
      });
    for (auto& t : burst) t.join();
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(served, 0);
  EXPECT_EQ(rejected_metric() - rejected_before, rejected);
}

}  // namespace
}  // namespace hearth::app

namespace hearth::app {
namespace {

TEST(Serve, MemoryApiAndOptInPromptMemory) {
  HEARTH_REQUIRE_SHARED();
  const auto dir = test::make_temp_dir("hearth-serve-memory");
  ServeOptions o = opts();
  o.memory = true;
  o.memory_db = (dir / "memory.db").string();
  o.api_keys["k"] = "sekrit";
  Serve s(o);
  const httplib::Headers auth = {{"Authorization", "Bearer sekrit"}};
  auto c = s.client();
  // The memory API is personal data: the server's key guards it.
  EXPECT_EQ(c.Get("/api/hearth/memory")->status, 401);
  auto add = c.Post("/api/hearth/memory", auth, json{{"text", "The user's cat is called Mittens"}, {"kind", "fact"}}.dump(),
                    "application/json");
  ASSERT_TRUE(add);
  ASSERT_EQ(add->status, 201) << add->body;
  auto found = c.Get("/api/hearth/memory/search?q=cat", auth);
  ASSERT_EQ(found->status, 200);
  EXPECT_NE(found->body.find("Mittens"), std::string::npos) << found->body;

  // The same question with and without X-Hearth-Memory: opted in, the memory goes into the
  // prompt (more prompt tokens); otherwise nothing is added.
  auto prompt_tokens = [&](const httplib::Headers& h) {
    auto r = s.post("/v1/chat/completions", chat_body("What is my cat called?", 2), h);
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body)["usage"]["prompt_tokens"].get<int>();
  };
  const int plain = prompt_tokens(auth);
  httplib::Headers on = auth;
  on.emplace("X-Hearth-Memory", "on");
  const int with_memory = prompt_tokens(on);
  EXPECT_GT(with_memory, plain + 5);
  httplib::Headers bad = auth;
  bad.emplace("X-Hearth-Memory", "maybe");
  EXPECT_EQ(s.post("/v1/chat/completions", chat_body("hi", 2), bad)->status, 400);
}

// Evaluation runs started over HTTP, as the Evaluations page does: a run of a built-in task
// against the served model finishes, reports progress, and is listed with its samples; a long
// one is cancelled mid-way and writes nothing; a queued one is cancelled before it starts; bad
// requests name the field; the server's key guards it all.
TEST(Serve, EvalRunsStartOverHttpReportProgressAndCancel) {
  HEARTH_REQUIRE_SHARED();
  const auto dir = test::make_temp_dir("hearth-serve-eval-jobs");
  // The request cache lives under $HEARTH_HOME: a fresh one, so the cancelled run is still
  // answering when it is cancelled.
  test::ScopedEnv home("HEARTH_HOME", (dir / "home").string());
  ServeOptions o = opts();
  o.sched.n_ctx = 2 * 512;  // TruthfulQA's six-shot prompts are ~450 tokens
  o.eval_runs_dir = (dir / "runs").string();
  o.eval_data = test::shared_path("eval-data").string();
  o.api_keys["k"] = "sekrit";
  Serve s(o);
  const httplib::Headers auth = {{"Authorization", "Bearer sekrit"}};
  auto c = s.client();
  EXPECT_EQ(c.Get("/api/hearth/eval/jobs")->status, 401);
  auto listing = c.Get("/api/hearth/eval/jobs", auth);
  ASSERT_EQ(listing->status, 200) << listing->body;
  EXPECT_NE(json::parse(listing->body)["tasks"].dump().find("\"truthfulqa_mc1\""), std::string::npos) << listing->body;

  auto start = [&](const json& body) { return s.post("/api/hearth/eval/jobs", body, auth); };
  auto job = [&](const std::string& id) {
    auto r = c.Get(("/api/hearth/eval/jobs/" + id).c_str(), auth);
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body);
  };
  // Polls until the job's state is one of `states` (or 60 s pass).
  auto wait_for = [&](const std::string& id, std::initializer_list<const char*> states) {
    json j;
    for (int i = 0; i < 600; ++i) {
      j = job(id);
      for (const char* st : states)
        if (j["state"] == st) return j;
      std::this_thread::sleep_for(100ms);
    }
    return j;
  };

  // Bad requests: 400 naming the field; nothing is queued.
  for (const auto& [body, says] : std::vector<std::pair<json, std::string>>{
           {{{"tasks", "no_such_task"}, {"model", "stories260K"}}, "unknown task \"no_such_task\""},
           {{{"tasks", "/etc/passwd.yaml"}, {"model", "stories260K"}}, "built-in tasks"},
           {{{"tasks", "mmlu"}}, "field \"model\""},
           {{{"tasks", "mmlu"}, {"model", "no-such-model"}}, "no-such-model"},
           {{{"tasks", "mmlu"}, {"model", "stories260K"}, {"limit", 0}}, "field \"limit\""},
           {{{"tasks", json::array()}, {"model", "stories260K"}}, "no task named"},
           {{{"tasks", "mmlu"}, {"model", "stories260K"}, {"shots", 3}}, "unknown field \"shots\""}}) {
    auto r = start(body);
    EXPECT_EQ(r->status, 400) << body.dump() << " -> " << r->body;
    EXPECT_NE(json::parse(r->body)["error"]["message"].get<std::string>().find(says), std::string::npos) << r->body;
  }
  auto bad_json = c.Post("/api/hearth/eval/jobs", auth, "{tasks", "application/json");
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_EQ(c.Get("/api/hearth/eval/jobs/job-99", auth)->status, 404);

  // A short run finishes and its run is listed, with samples for the viewer.
  auto r = start({{"tasks", json::array({"truthfulqa_mc1"})}, {"model", "stories260K"}, {"limit", 3}});
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string first = json::parse(r->body)["id"];
  json done = wait_for(first, {"finished", "failed", "cancelled"});
  ASSERT_EQ(done["state"], "finished") << done.dump();
  EXPECT_GT(done["total"].get<int>(), 0);
  EXPECT_EQ(done["done"], done["total"]);
  const std::string run = done["run"];
  auto runs = c.Get("/api/hearth/eval/runs", auth);
  EXPECT_NE(runs->body.find(run), std::string::npos) << runs->body;
  auto samples = c.Get(("/api/hearth/eval/runs/" + run + "/samples/truthfulqa_mc1").c_str(), auth);
  ASSERT_EQ(samples->status, 200) << samples->body;
  EXPECT_EQ(json::parse(samples->body)["total"], 3);

  // A whole TruthfulQA run is cancelled once it has started answering; a second job waiting
  // behind it is cancelled while queued. Neither writes a run.
  r = start({{"tasks", "truthfulqa_mc1"}, {"model", "stories260K"}});
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string long_run = json::parse(r->body)["id"];
  r = start({{"tasks", "truthfulqa_mc2"}, {"model", "stories260K"}, {"limit", 2}});
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string queued = json::parse(r->body)["id"];
  json progress;
  for (int i = 0; i < 600; ++i) {
    progress = job(long_run);
    if (progress["done"].get<int>() > 0) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(progress["state"], "running") << progress.dump();
  EXPECT_EQ(progress["phase"], "answering");
  EXPECT_LT(progress["done"].get<int>(), progress["total"].get<int>());
  auto q = c.Post(("/api/hearth/eval/jobs/" + queued + "/cancel").c_str(), auth, "{}", "application/json");
  ASSERT_EQ(q->status, 200) << q->body;
  EXPECT_EQ(json::parse(q->body)["state"], "cancelled");
  auto cl = c.Post(("/api/hearth/eval/jobs/" + long_run + "/cancel").c_str(), auth, "{}", "application/json");
  ASSERT_EQ(cl->status, 200) << cl->body;
  EXPECT_EQ(wait_for(long_run, {"cancelled", "finished", "failed"})["state"], "cancelled");
  EXPECT_EQ(job(queued)["state"], "cancelled");
  EXPECT_EQ(c.Post("/api/hearth/eval/jobs/job-99/cancel", auth, "{}", "application/json")->status, 404);
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "runs")) ++n;
  EXPECT_EQ(n, 1u);
  // Newest first in the listing.
  auto all = json::parse(c.Get("/api/hearth/eval/jobs", auth)->body)["jobs"];
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["id"], queued);
  EXPECT_EQ(all[2]["id"], first);
}

// Scope policies end to end: a project memory reaches the local model but never the remote
// provider the same server routes to, the ledger names what did go out, and a changed policy
// applies to the next request.
TEST(Serve, ProjectMemoriesReachTheLocalModelButNeverARemoteProvider) {
  HEARTH_REQUIRE_SHARED();
  test::FakeUpstream cloud;
  cloud.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& res) {
    cloud.record(q);
    test::openai_reply(q, res, "cloud answer");
  });
  const auto dir = test::make_temp_dir("hearth-serve-policy");
  {
    std::ofstream(dir / "router.yaml") << "providers:\n  cloud: {type: openai, base_url: '" << cloud.url()
                                       << "', timeout_ms: 5000}\nmodels:\n  - {name: cloud-model, provider: cloud, model: gpt-x}\n"
                                       << "ledger_dir: '" << (dir / "ledger").string() << "'\n";
  }
  ServeOptions o = opts();
  o.sched.n_ctx = 2048;  // room for the memories in the local model's prompt
  o.memory = true;
  o.memory_db = (dir / "memory.db").string();
  o.router_config = (dir / "router.yaml").string();
  Serve s(o);
  auto add = [&](const std::string& text, const std::string& scope) {
    auto r = s.post("/api/hearth/memory", json{{"text", text}, {"scope", scope}});
    EXPECT_EQ(r->status, 201) << r->body;
    return json::parse(r->body)["id"].get<std::string>();
  };
  const std::string secret = add("The launch codename for the rocket is Bluebird", "project:rocket");
  const std::string cat = add("The cat Mittens sleeps beside the rocket launch toy", "user");
  {
    auto r = s.post("/api/hearth/memory", json{{"text", "Always answer with British spelling"}, {"kind", "core"}});
    ASSERT_EQ(r->status, 201) << r->body;
  }
  const httplib::Headers on = {{"X-Hearth-Memory", "on"}};
  auto ask = [&](const std::string& model, const httplib::Headers& h) {
    json body = chat_body("What is the rocket launch codename?", 2);
    body["model"] = model;
    auto r = s.post("/v1/chat/completions", body, h);
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body);
  };
  ask("cloud-model", on);
  const std::string sent = cloud.last_body();
  EXPECT_NE(sent.find("Mittens"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("Bluebird"), std::string::npos) << sent;
  EXPECT_NE(sent.find("British spelling"), std::string::npos) << sent;  // core: in every chat
  // The local model gets both: more prompt tokens than without memory, and more than the one
  // memory the cloud got would add.
  const int plain = ask("stories260K", {})["usage"]["prompt_tokens"].get<int>();
  const int with = ask("stories260K", on)["usage"]["prompt_tokens"].get<int>();
  EXPECT_GT(with, plain + 20);

  router::Ledger ledger(dir / "ledger");
  auto recs = ledger.read();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].provider, "cloud");
  ASSERT_EQ(recs[0].memory_ids.size(), 2u);  // the core memory and the cat
  EXPECT_EQ(recs[0].memory_ids[1], cat);

  // Let project memories go anywhere: the next request carries it (the file is re-read).
  memory::ScopePolicies p;
  p.set("project:*", memory::parse_scope_policy("any-provider", "test"));
  memory::save_scope_policies(dir / "config.json", p);
  ask("cloud-model", on);
  EXPECT_NE(cloud.last_body().find("Bluebird"), std::string::npos);
  recs = ledger.read();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(std::find(recs[1].memory_ids.begin(), recs[1].memory_ids.end(), secret), recs[1].memory_ids.end());
}

// The extraction model is a setting: chats answered by the local model are extracted by the
// configured remote model, which is shown only the memories its provider may see.
TEST(Serve, ExtractionUsesTheConfiguredModelAndItsProvidersPolicy) {
  HEARTH_REQUIRE_SHARED();
  test::FakeUpstream cloud;
  cloud.server().Post("/chat/completions", [&](const httplib::Request& q, httplib::Response& res) {
    cloud.record(q);
    test::openai_reply(q, res, R"({"operations": []})");
  });
  const auto dir = test::make_temp_dir("hearth-serve-extractor");
  {
    std::ofstream(dir / "router.yaml") << "providers:\n  cloud: {type: openai, base_url: '" << cloud.url()
                                       << "', timeout_ms: 5000}\nmodels:\n  - {name: cloud-model, provider: cloud, model: gpt-x}\n"
                                       << "ledger_dir: '" << (dir / "ledger").string() << "'\n";
  }
  ServeOptions o = opts();
  o.sched.n_ctx = 2048;
  o.memory = true;
  o.memory_db = (dir / "memory.db").string();
  o.router_config = (dir / "router.yaml").string();
  o.memory_extract_model = "cloud-model";
  Serve s(o);
  EXPECT_NE(s.server().memory_extractor().find("remote provider cloud"), std::string::npos) << s.server().memory_extractor();
  ASSERT_EQ(s.post("/api/hearth/memory", json{{"text", "The rocket launch codename is Bluebird"}, {"scope", "project:rocket"}})->status, 201);
  ASSERT_EQ(s.post("/api/hearth/memory", json{{"text", "The rocket toy is red"}})->status, 201);
  auto r = s.post("/v1/chat/completions", chat_body("Tell me about the rocket launch", 4), {{"X-Hearth-Memory", "on"}});
  ASSERT_EQ(r->status, 200) << r->body;
  for (int i = 0; i < 500 && cloud.hits == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(cloud.hits, 1);  // the chat itself stayed local; only extraction went out
  const std::string sent = cloud.last_body();
  EXPECT_NE(sent.find("Existing memories"), std::string::npos) << sent;
  EXPECT_NE(sent.find("rocket toy"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("Bluebird"), std::string::npos) << sent;
  // The ledger line is written when the reply has been read, after the upstream saw the request.
  std::vector<router::LedgerRecord> recs;
  for (int i = 0; i < 500 && recs.empty(); ++i, std::this_thread::sleep_for(10ms)) recs = router::Ledger(dir / "ledger").read();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].model, "gpt-x");
  // The configured extractor also decides the memory API's adds: it is shown the overlapping
  // memories its policy allows (an answer that is not the reconcile JSON leaves it to the rules).
  auto add = s.post("/api/hearth/memory", json{{"text", "The rocket toy is blue now"}});
  ASSERT_EQ(add->status, 201) << add->body;
  EXPECT_EQ(json::parse(add->body)["reconcile"]["decided_by"], "rules (model cloud-model answered action (none))") << add->body;
  ASSERT_EQ(cloud.hits, 2);
  const std::string asked = cloud.last_body();
  EXPECT_NE(asked.find("New memory: [fact] The rocket toy is blue now"), std::string::npos) << asked;
  EXPECT_NE(asked.find("The rocket toy is red"), std::string::npos) << asked;
  EXPECT_EQ(asked.find("Bluebird"), std::string::npos) << asked;
}

}  // namespace
}  // namespace hearth::app
