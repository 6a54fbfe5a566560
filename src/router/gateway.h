// The HTTP gateway: OpenAI-, Anthropic- and Ollama-compatible endpoints, all answered through
// the router. It mounts on any httplib::Server so `hearth serve` and `hearth gateway` share it.
//   POST /v1/chat/completions  GET /v1/models  POST /v1/embeddings   (OpenAI)
//   POST /v1/messages                                                 (Anthropic)
//   POST /api/chat  GET /api/tags                                     (Ollama)
// Routing metadata: header x-hearth-attempts (JSON) and a "hearth" field in non-stream bodies;
// streams carry it as an SSE comment (": hearth {...}") before their final event.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "router/router.h"

namespace httplib {
class Server;
}

namespace hearth::router {

struct GatewayOptions {
  // Client keys: name -> secret. Empty = no authentication (loopback use).
  std::map<std::string, std::string> api_keys;
  // Hooks `hearth serve` uses for memory: before_chat may edit a chat request before it is routed
  // (add memories to the system prompt, set memory_ids); after_chat sees the finished exchange
  // (extract new memories). Unset = no-op. Both run on the request's thread.
  std::function<void(ChatRequest&)> before_chat;
  std::function<void(const ChatRequest&, const ChatResponse&)> after_chat;
};

class Gateway {
 public:
  Gateway(Router& router, GatewayOptions opts) : router_(router), opts_(std::move(opts)) {}
  void mount(httplib::Server& server);

 private:
  Router& router_;
  GatewayOptions opts_;
  std::atomic<uint64_t> counter_{0};
  friend struct GatewayHandlers;
};

}  // namespace hearth::router
