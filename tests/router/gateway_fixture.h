// A gateway on loopback in front of a router whose providers are in-process fakes: tests post
// real HTTP bodies and check both what the provider was asked and what the client got back.
#pragma once
#include <httplib.h>

#include <mutex>
#include <sstream>
#include <thread>

#include "router/gateway.h"
#include "router/provider_local.h"
#include "support/listen.h"

namespace hearth::test {

using namespace hearth::router;

// Answers every chat with "Hello world" in two tokens (with logprobs when asked), every
// completion with " Paris" (the prompt echoed first, scored, when asked), and embeddings with
// [len, 1]. Records the last requests; `fail` makes the next call throw before any event.
class ScriptedProvider : public Provider {
 public:
  std::string name() const override { return "fake"; }
  bool offers_embeddings() const override { return true; }
  void chat_stream(const ChatRequest& req, const StreamSink& sink) override {
    {
      std::lock_guard<std::mutex> lk(mu);
      last_chat = req;
      ++chats;
    }
    throw_if_failing();
    StreamEvent s{StreamEvent::Kind::start};
    if (!sink(s)) return;
    for (const char* piece : {"Hello", " world"}) {
      StreamEvent t{StreamEvent::Kind::text};
      t.text = piece;
      if (req.sampling.logprobs) t.logprobs.push_back({piece, -0.5f, true, {{piece, -0.5f}, {" x", -2.0f}}});
      if (!sink(t)) throw ProviderError(ErrorKind::cancelled, "client went away");
    }
    end(sink, 2);
  }
  void completion_stream(const CompletionRequest& req, const StreamSink& sink) override {
    {
      std::lock_guard<std::mutex> lk(mu);
      last_completion = req;
    }
    throw_if_failing();
    StreamEvent s{StreamEvent::Kind::start};
    sink(s);
    if (req.echo) {
      StreamEvent e{StreamEvent::Kind::text};
      e.echo = true;
      e.text = req.prompt;
      if (req.sampling.logprobs) {
        // Two prompt "tokens": the first has nothing predicting it.
        size_t half = req.prompt.size() / 2;
        e.logprobs.push_back({req.prompt.substr(0, half), 0, false, {}});
        e.logprobs.push_back({req.prompt.substr(half), -1.25f, true, {{req.prompt.substr(half), -1.25f}}});
      }
      sink(e);
    }
    if (req.max_tokens.value_or(16) > 0) {
      StreamEvent t{StreamEvent::Kind::text};
      t.text = " Paris";
      if (req.sampling.logprobs) t.logprobs.push_back({" Paris", -0.25f, true, {{" Paris", -0.25f}, {" Lyon", -3.0f}}});
      sink(t);
    }
    end(sink, req.max_tokens.value_or(16) > 0 ? 1 : 0);
  }
  EmbeddingResponse embed(const EmbeddingRequest& req) override {
    throw_if_failing();
    EmbeddingResponse r;
    for (const auto& s : req.input) r.vectors.push_back({static_cast<float>(s.size()), 1.0f});
    r.usage.input_tokens = static_cast<int64_t>(req.input.size());
    return r;
  }
  void throw_if_failing() {
    std::lock_guard<std::mutex> lk(mu);
    if (fail) {
      auto e = *fail;
      fail.reset();
      throw e;
    }
  }
  void end(const StreamSink& sink, int64_t out) {
    StreamEvent u{StreamEvent::Kind::usage};
    u.usage = {7, out, 3};
    sink(u);
    StreamEvent f{StreamEvent::Kind::finish};
    f.stop = StopReason::stop;
    sink(f);
  }

  std::mutex mu;
  ChatRequest last_chat;
  CompletionRequest last_completion;
  int chats = 0;
  std::optional<ProviderError> fail;
};

class GatewayFixture {
 public:
  explicit GatewayFixture(GatewayOptions opts = {}, std::string extra_yaml = "")
      : router_(parse_config("providers:\n  fake: {type: openai, base_url: 'http://127.0.0.1:9'}\n"
                             "  local: {type: local}\n"
                             "models:\n  - {name: smart, provider: fake, model: up-model, context_length: 8192}\n" +
                             extra_yaml),
                no_ledger()),
        gw_(router_, std::move(opts)) {
    provider = std::make_shared<ScriptedProvider>();
    router_.set_provider("fake", provider);
    gw_.mount(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = hearth::test::listen_in_background(server_);
  }
  ~GatewayFixture() {
    server_.stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(std::chrono::seconds(10));
    return c;
  }
  httplib::Result post(const std::string& path, const std::string& body, const httplib::Headers& h = {}) const {
    return client().Post(path.c_str(), h, body, "application/json");
  }
  httplib::Result post(const std::string& path, const json& body, const httplib::Headers& h = {}) const {
    return post(path, body.dump(), h);
  }
  httplib::Result get(const std::string& path, const httplib::Headers& h = {}) const { return client().Get(path.c_str(), h); }
  Router& router() { return router_; }
  std::shared_ptr<ScriptedProvider> provider;

 private:
  static RouterOptions no_ledger() {
    RouterOptions o;
    o.use_ledger = false;
    o.sleep_ms = [](double) {};
    return o;
  }
  Router router_;
  Gateway gw_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

// "data: {...}" payloads of an SSE body, in order ("[DONE]" kept as a string).
inline std::vector<json> sse_payloads(const std::string& body) {
  std::vector<json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("data: ", 0) != 0) continue;
    std::string d = line.substr(6);
    out.push_back(d == "[DONE]" ? json("[DONE]") : json::parse(d));
  }
  return out;
}

inline std::vector<json> ndjson_lines(const std::string& body) {
  std::vector<json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

}  // namespace hearth::test
