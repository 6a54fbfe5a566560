// The one interface every backend implements and the router implements too, so the engine,
// server, memory and eval call the same thing whether a request goes to the local model, a
// self-hosted server or a cloud API. Providers are created by type name from the list in
// provider_registry.cpp: a new provider is one file plus one line there.
#pragma once
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "router/http.h"
#include "router/types.h"

namespace hearth::router {

struct ProviderConfig {
  std::string name;      // the config's key, the "provider" part of "provider:model"
  std::string type;      // openai | anthropic | gemini | ollama | local
  std::string base_url;
  std::string api_key;   // resolved secret; never logged or recorded
  HttpOptions http;
  Headers extra_headers;
  bool remote = true;    // requests leave the machine (ledger, --local-only)
};

// The config's extra headers plus its API key (when set) in `key_header`, after `key_prefix`:
// each wire format only differs in where the key goes.
inline Headers request_headers(const ProviderConfig& c, const std::string& key_header,
                               const std::string& key_prefix = "") {
  Headers h = c.extra_headers;
  if (!c.api_key.empty()) h.emplace_back(key_header, key_prefix + c.api_key);
  return h;
}

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string name() const = 0;
  // Non-streaming chat; the default drives chat_stream and joins the events.
  virtual ChatResponse chat(const ChatRequest& req);
  // Streams normalised events; throws ProviderError. Events after a sink refusal are not sent.
  virtual void chat_stream(const ChatRequest& req, const StreamSink& sink) = 0;
  // Plain completion: a prompt in, text out (mapped onto chat by default).
  virtual std::string complete(const std::string& model, const std::string& prompt, int max_tokens);
  // Raw text completion with echo and logprobs, streamed as StreamEvents (start, text..., usage,
  // finish). The default throws ProviderError(unsupported): only providers whose wire format has
  // raw completions (OpenAI-compatible /v1/completions, Ollama raw generate, the local engine)
  // override it.
  virtual void completion_stream(const CompletionRequest& req, const StreamSink& sink);
  // Joins completion_stream's events.
  virtual ChatResponse completion(const CompletionRequest& req);
  virtual EmbeddingResponse embed(const EmbeddingRequest& req);
  // Whether the wire format has an embeddings API at all (Anthropic's has none); the router
  // refuses such targets before anything is sent.
  virtual bool offers_embeddings() const { return false; }
  virtual std::vector<ModelInfo> list_models();
  virtual Capabilities capabilities(const std::string& model) const { return {}; }
};

class LocalBackendSlot;

// What a provider may need beyond its config, from whoever builds the router.
struct ProviderContext {
  std::shared_ptr<LocalBackendSlot> local;  // the in-process engine, for type `local`
};

using ProviderFactory = std::unique_ptr<Provider> (*)(const ProviderConfig&, const ProviderContext&);
struct ProviderType {
  const char* type;  // the config's `type:` value
  ProviderFactory make;
};
// Every provider type, in the order of provider_registry.cpp.
std::span<const ProviderType> provider_types();
// Throws ProviderError(bad_request) naming the unknown type.
std::unique_ptr<Provider> make_provider(const ProviderConfig& cfg, const ProviderContext& ctx = {});

}  // namespace hearth::router
