// Ollama's native API: POST /api/chat (NDJSON stream), /api/embed, GET /api/tags.
#include "core/json.h"
#include "router/provider.h"
#include "router/sse.h"
#include "router/wire_ollama.h"

namespace hearth::router {
namespace {

class OllamaProvider : public Provider {
 public:
  explicit OllamaProvider(ProviderConfig c) : cfg_(std::move(c)), ep_(parse_base_url(cfg_.base_url)) {}
  std::string name() const override { return cfg_.name; }

  void chat_stream(const ChatRequest& req, const StreamSink& sink) override {
    ndjson("/api/chat", ollama::request_to_json(req, true), sink);
  }

  // Raw /api/generate. Ollama cannot score a prompt, so echo is only the prompt's text.
  void completion_stream(const CompletionRequest& req, const StreamSink& sink) override {
    if (req.echo && req.sampling.logprobs)
      throw ProviderError(ErrorKind::unsupported, cfg_.name + ": Ollama cannot return log-probabilities of the prompt (echo)");
    bool echoed = !req.echo;
    ndjson("/api/generate", ollama::generate_request_to_json(req, true), [&](const StreamEvent& e) {
      if (!sink(e)) return false;
      if (!echoed && e.kind == StreamEvent::Kind::start) {
        echoed = true;
        StreamEvent p{StreamEvent::Kind::text};
        p.text = req.prompt;
        p.echo = true;
        return sink(p);
      }
      return true;
    });
  }

 private:
  void ndjson(const char* path, const json& body, const StreamSink& sink) {
    int calls = 0;
    bool started = false, done = false, stopped = false;
    LineParser lines([&](std::string_view l) {
      if (stopped || done) return;
      auto j = json::parse(l, nullptr, false);
      if (j.is_discarded()) throw ProviderError(ErrorKind::server, cfg_.name + ": stream line is not JSON");
      if (!ollama::decode_line(j, sink, &calls, &started, &done)) stopped = true;
    });
    http_post(ep_, path, headers(), body.dump(), cfg_.http, [&](std::string_view d) {
      lines.feed(d);
      return !stopped;
    });
    lines.finish();
    if (stopped) throw ProviderError(ErrorKind::cancelled, "client went away");
    if (!done) throw ProviderError(ErrorKind::network, cfg_.name + ": stream ended before done:true");
  }

 public:

  bool offers_embeddings() const override { return true; }
  EmbeddingResponse embed(const EmbeddingRequest& req) override {
    std::string out =
        http_post_collect(ep_, "/api/embed", headers(), json{{"model", req.model}, {"input", req.input}}.dump(), cfg_.http, 256u << 20);
    auto j = json::parse(out, nullptr, false);
    if (j.is_discarded() || !j.contains("embeddings") || !j["embeddings"].is_array())
      throw ProviderError(ErrorKind::server, cfg_.name + ": malformed /api/embed response");
    EmbeddingResponse r;
    r.model = req.model;
    for (const auto& v : j["embeddings"]) r.vectors.push_back(v.get<std::vector<float>>());
    r.usage.input_tokens = j.value("prompt_eval_count", 0);
    return r;
  }

  std::vector<ModelInfo> list_models() override {
    auto j = json::parse(http_get(ep_, "/api/tags", headers(), cfg_.http), nullptr, false);
    std::vector<ModelInfo> out;
    if (j.is_object() && j.contains("models") && j["models"].is_array())
      for (const auto& m : j["models"])
        if (m.contains("name") && m["name"].is_string()) out.push_back({m["name"], cfg_.name});
    return out;
  }

 private:
  Headers headers() const { return request_headers(cfg_, "Authorization", "Bearer "); }
  ProviderConfig cfg_;
  Endpoint ep_;
};

}  // namespace

std::unique_ptr<Provider> make_ollama_provider(const ProviderConfig& c, const ProviderContext&) {
  return std::make_unique<OllamaProvider>(c);
}

}  // namespace hearth::router
