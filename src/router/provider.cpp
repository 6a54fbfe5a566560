#include "router/provider.h"

namespace hearth::router {

ChatResponse Provider::chat(const ChatRequest& req) {
  Accumulator acc;
  chat_stream(req, [&](const StreamEvent& e) {
    acc.add(e);
    return !(req.abandoned && req.abandoned());
  });
  return acc.take();
}

std::string Provider::complete(const std::string& model, const std::string& prompt, int max_tokens) {
  ChatRequest req;
  req.model = model;
  req.messages.push_back({Role::user, prompt});
  if (max_tokens > 0) req.max_tokens = max_tokens;
  return chat(req).message.content;
}

void Provider::completion_stream(const CompletionRequest&, const StreamSink&) {
  throw ProviderError(ErrorKind::unsupported, "provider '" + name() + "' does not offer raw text completions");
}

ChatResponse Provider::completion(const CompletionRequest& req) {
  Accumulator acc;
  completion_stream(req, [&](const StreamEvent& e) {
    acc.add(e);
    return !(req.abandoned && req.abandoned());
  });
  return acc.take();
}

EmbeddingResponse Provider::embed(const EmbeddingRequest&) {
  throw ProviderError(ErrorKind::unsupported, "provider '" + name() + "' does not offer embeddings");
}

std::vector<ModelInfo> Provider::list_models() { return {}; }

std::unique_ptr<Provider> make_provider(const ProviderConfig& cfg, const ProviderContext& ctx) {
  std::string known;
  for (const ProviderType& t : provider_types()) {
    if (cfg.type == t.type) return t.make(cfg, ctx);
    known += (known.empty() ? "" : ", ") + std::string(t.type);
  }
  throw ProviderError(ErrorKind::bad_request,
                      "provider '" + cfg.name + "': unknown type '" + cfg.type + "' (known: " + known + ")");
}

}  // namespace hearth::router
