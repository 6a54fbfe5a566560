// Anthropic Messages API (POST /v1/messages, SSE streaming events).
#include "core/json.h"
#include "router/provider.h"
#include "router/sse.h"
#include "router/wire_anthropic.h"

namespace hearth::router {
namespace {

class AnthropicProvider : public Provider {
 public:
  explicit AnthropicProvider(ProviderConfig c) : cfg_(std::move(c)), ep_(parse_base_url(cfg_.base_url)) {}
  std::string name() const override { return cfg_.name; }

  ChatResponse chat(const ChatRequest& req) override {
    std::string body =
        http_post_collect(ep_, "/v1/messages", headers(), anthropic::request_to_json(req, false).dump(), cfg_.http);
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded()) throw ProviderError(ErrorKind::server, cfg_.name + ": response is not JSON");
    return anthropic::response_from_json(j);
  }

  void chat_stream(const ChatRequest& req, const StreamSink& sink) override {
    anthropic::StreamDecoder dec;
    bool stopped = false;
    SseParser sse([&](const SseEvent& ev) {
      if (stopped || dec.finished()) return;
      auto j = json::parse(ev.data, nullptr, false);
      if (j.is_discarded()) throw ProviderError(ErrorKind::server, cfg_.name + ": stream event is not JSON");
      if (!dec.feed(ev.event, j, sink)) stopped = true;
    });
    http_post(ep_, "/v1/messages", headers(), anthropic::request_to_json(req, true).dump(), cfg_.http,
              [&](std::string_view d) {
                sse.feed(d);
                return !stopped;
              });
    sse.finish();
    if (stopped) throw ProviderError(ErrorKind::cancelled, "client went away");
    if (!dec.finished()) throw ProviderError(ErrorKind::network, cfg_.name + ": stream ended before message_stop");
  }

  std::vector<ModelInfo> list_models() override {
    auto j = json::parse(http_get(ep_, "/v1/models", headers(), cfg_.http), nullptr, false);
    std::vector<ModelInfo> out;
    if (j.is_object() && j.contains("data") && j["data"].is_array())
      for (const auto& m : j["data"])
        if (m.contains("id") && m["id"].is_string()) out.push_back({m["id"], cfg_.name});
    return out;
  }

 private:
  Headers headers() const {
    Headers h = request_headers(cfg_, "x-api-key");
    h.emplace_back("anthropic-version", "2023-06-01");
    return h;
  }
  ProviderConfig cfg_;
  Endpoint ep_;
};

}  // namespace

std::unique_ptr<Provider> make_anthropic_provider(const ProviderConfig& c, const ProviderContext&) {
  return std::make_unique<AnthropicProvider>(c);
}

}  // namespace hearth::router
