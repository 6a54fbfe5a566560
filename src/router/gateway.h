// The HTTP gateway: OpenAI-, Anthropic- and Ollama-compatible endpoints, all answered through
// the router. It mounts on any httplib::Server so `hearth serve` and `hearth gateway` share it.
//   POST /v1/chat/completions  POST /v1/completions  GET /v1/models  POST /v1/embeddings (OpenAI)
//   POST /v1/responses  GET /v1/responses/{id}  DELETE /v1/responses/{id}   (OpenAI Responses)
//   POST /v1/messages                                                               (Anthropic)
//   POST /api/chat  POST /api/generate  GET /api/tags  POST /api/show  GET /api/version
//   POST /api/embed  POST /api/embeddings  GET /api/ps                                 (Ollama)
// Routing metadata: header x-hearth-attempts (JSON) and a "hearth" field in non-stream bodies;
// SSE streams carry it as a comment (": hearth {...}") before their final event.
#pragma once
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "core/version.h"
#include "router/response_store.h"
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
  // (extract new memories). Unset = no-op. before_chat runs on the request's thread; after_chat
  // runs on the thread that produced the reply (for streams, the stream's producer thread).
  // Raw text completions (/v1/completions, raw /api/generate) are not chats and skip both.
  std::function<void(ChatRequest&)> before_chat;
  std::function<void(const ChatRequest&, const ChatResponse&)> after_chat;
  // Largest request body accepted; mount() sets it on the server (bigger bodies get 413).
  size_t max_body_bytes = 16u << 20;
  // When set, a request without a "model" or naming a model the router does not know is served
  // by this model (a single-model server: scripts that hard-code another name keep working); the
  // response names the model used and the header x-hearth-model-substituted the name asked for.
  std::string fallback_model;
  // Reported by GET /api/version.
  std::string version = hearth::version();
  // Responses-API state (store, previous_response_id): where it is kept and for how long.
  // Empty folder or zero retention: nothing is stored.
  std::filesystem::path responses_dir;
  std::chrono::seconds responses_retention{30 * 24 * 3600};
};

// The router's counters, circuits and latencies in Prometheus text format.
std::string router_metrics(const Router& router);

class Gateway {
 public:
  Gateway(Router& router, GatewayOptions opts)
      : router_(router),
        opts_(std::move(opts)),
        responses_(std::make_shared<ResponseStore>(opts_.responses_dir,
                                                   opts_.responses_dir.empty() ? std::chrono::seconds(0) : opts_.responses_retention)) {}
  // Registers every endpoint, the body size limit, and an error handler that gives empty 4xx/5xx
  // answers under /v1/ and /api/ (413, unknown routes) a JSON body in that dialect's shape.
  void mount(httplib::Server& server);
  // Call after binding: httplib listens with a backlog of 5, so a burst of new connections
  // (hundreds of clients connecting at once) overflows the accept queue and clients wait for
  // SYN retransmits (1 s, 3 s, 7 s...). This raises it to the system's maximum.
  void widen_listen_backlog() const;
  // GET /health and Prometheus GET /metrics (behind the API key) for the standalone gateway;
  // `hearth serve` has its own, which include router_metrics().
  void mount_ops(httplib::Server& server);

 private:
  Router& router_;
  GatewayOptions opts_;
  std::atomic<uint64_t> counter_{0};
  std::shared_ptr<std::atomic<int>> listen_fd_ = std::make_shared<std::atomic<int>>(-1);
  std::shared_ptr<ResponseStore> responses_;
  friend struct GatewayHandlers;
};

}  // namespace hearth::router
