// OpenAI-compatible Chat Completions by base URL: OpenAI, Mistral, Groq, Together, DeepSeek,
// OpenRouter, vLLM, llama.cpp server, LM Studio, another hearth.
#include "core/json.h"
#include "router/provider.h"
#include "router/sse.h"
#include "router/wire_completions.h"
#include "router/wire_openai.h"

namespace hearth::router {
namespace {

class OpenAIProvider : public Provider {
 public:
  explicit OpenAIProvider(ProviderConfig c) : cfg_(std::move(c)), ep_(parse_base_url(cfg_.base_url)) {}
  std::string name() const override { return cfg_.name; }

  ChatResponse chat(const ChatRequest& req) override {
    std::string body =
        http_post_collect(ep_, "/chat/completions", headers(), openai::request_to_json(req, false).dump(), cfg_.http);
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded()) throw ProviderError(ErrorKind::server, cfg_.name + ": response is not JSON");
    return openai::response_from_json(j);
  }

  void chat_stream(const ChatRequest& req, const StreamSink& sink) override {
    openai::StreamDecoder dec;
    stream("/chat/completions", openai::request_to_json(req, true).dump(), dec, sink);
  }

  // The legacy /v1/completions endpoint (echo and prompt logprobs included).
  void completion_stream(const CompletionRequest& req, const StreamSink& sink) override {
    openai::CompletionDecoder dec(req.prompt.size(), req.echo);
    stream("/completions", openai::completion_request_to_json(req, true).dump(), dec, sink);
  }

  bool offers_embeddings() const override { return true; }
  EmbeddingResponse embed(const EmbeddingRequest& req) override {
    json body = {{"model", req.model}, {"input", req.input}};
    std::string out = http_post_collect(ep_, "/embeddings", headers(), body.dump(), cfg_.http, 256u << 20);
    auto j = json::parse(out, nullptr, false);
    if (j.is_discarded() || !j.contains("data") || !j["data"].is_array())
      throw ProviderError(ErrorKind::server, cfg_.name + ": malformed embeddings response");
    EmbeddingResponse r;
    r.model = req.model;
    r.vectors.resize(j["data"].size());
    for (const auto& d : j["data"]) {
      size_t idx = d.value("index", 0);
      if (idx >= r.vectors.size() || !d.contains("embedding") || !d["embedding"].is_array())
        throw ProviderError(ErrorKind::server, cfg_.name + ": malformed embedding entry");
      r.vectors[idx] = d["embedding"].get<std::vector<float>>();
    }
    if (j.contains("usage") && j["usage"].is_object()) r.usage.input_tokens = j["usage"].value("prompt_tokens", 0);
    return r;
  }

  std::vector<ModelInfo> list_models() override {
    auto j = json::parse(http_get(ep_, "/models", headers(), cfg_.http), nullptr, false);
    std::vector<ModelInfo> out;
    if (j.is_object() && j.contains("data") && j["data"].is_array())
      for (const auto& m : j["data"])
        if (m.contains("id") && m["id"].is_string()) out.push_back({m["id"], cfg_.name});
    return out;
  }

 private:
  // POSTs a streaming request and feeds its SSE chunks to `dec` (either OpenAI chunk decoder).
  template <class Decoder>
  void stream(const char* path, const std::string& body, Decoder& dec, const StreamSink& sink) {
    bool done = false, stopped = false;
    SseParser sse([&](const SseEvent& ev) {
      if (stopped || done) return;
      if (ev.data == "[DONE]") { done = true; return; }
      auto j = json::parse(ev.data, nullptr, false);
      if (j.is_discarded()) throw ProviderError(ErrorKind::server, cfg_.name + ": stream chunk is not JSON");
      if (!dec.feed(j, sink)) stopped = true;
    });
    http_post(ep_, path, headers(), body, cfg_.http, [&](std::string_view d) {
      sse.feed(d);
      return !stopped;
    });
    sse.finish();
    if (stopped) throw ProviderError(ErrorKind::cancelled, "client went away");
    if (!dec.finished()) throw ProviderError(ErrorKind::network, cfg_.name + ": stream ended before a finish_reason");
    if (!dec.flush(sink)) throw ProviderError(ErrorKind::cancelled, "client went away");
  }

  Headers headers() const { return request_headers(cfg_, "Authorization", "Bearer "); }
  ProviderConfig cfg_;
  Endpoint ep_;
};

}  // namespace

std::unique_ptr<Provider> make_openai_provider(const ProviderConfig& c, const ProviderContext&) {
  return std::make_unique<OpenAIProvider>(c);
}

}  // namespace hearth::router
