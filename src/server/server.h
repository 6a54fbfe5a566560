// `hearth serve` as a library: one HTTP server with the router's OpenAI/Anthropic/Ollama gateway
// (whose `local` provider is the in-process engine), plus /health, /metrics, /tokenize,
// /detokenize and the embedded web UI. The model loads in the background after the port is
// bound, so /health answers 503 until it is ready.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/scheduler.h"

namespace httplib {
class Server;
}

namespace hearth::router {
class Router;
class Gateway;
struct GatewayOptions;
}  // namespace hearth::router

namespace hearth::memory {
class Embedder;
class Store;
class ProviderModel;
class ExtractWorker;
}  // namespace hearth::memory

namespace hearth::server {

class EngineBackend;

struct ServeOptions {
  std::string model_path;  // GGUF file to serve
  std::string model_name;  // what clients call it (default: the file name without .gguf)
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see port())
  engine::SchedulerOptions sched;
  std::map<std::string, std::string> api_keys;  // name -> secret; empty = no authentication
  std::vector<std::string> cors_origins;        // allowed browser origins ("*" = any)
  std::string router_config;                    // optional router YAML (remote providers, policies)
  bool local_only = false;
  std::string chat_template;  // overrides the model's template
  int http_threads = 0;       // <= 0: enough for many concurrent streams
  size_t max_body_bytes = 16u << 20;
  bool web_ui = true;
  // Portable memory (src/memory): opens the store, serves its REST API to the web UI under
  // /api/hearth/memory, and lets a chat opt in (header X-Hearth-Memory: on, or body field
  // "hearth_memory": true) to get relevant memories in its system prompt and have new ones
  // extracted from the exchange afterwards (by the served model, in the background).
  bool memory = false;
  bool memory_default_on = false;  // requests that do not say are opted in
  std::string memory_db;           // default: $HEARTH_HOME/memory/memory.db
  std::string memory_embed_model;  // as `hearth memory --embed-model`; empty: the same choice as the CLI
  // Finished `hearth eval` runs listed read-only under /api/hearth/eval/runs for the web UI.
  std::string eval_runs_dir;  // default: $HEARTH_HOME/eval/runs
};

// Extra routes other components add (memory, eval); called with the server before listening.
using RouteMounter = std::function<void(httplib::Server&)>;

class Server {
 public:
  explicit Server(ServeOptions opts);
  ~Server();

  // Hooks for the gateway (memory injection/extraction); set before bind().
  void set_gateway_hooks(const std::function<void(router::GatewayOptions&)>& configure);
  void add_routes(RouteMounter m);

  // Binds the socket; throws Error(io) naming host:port when it cannot. Returns the port.
  int bind();
  // Loads the model on a background thread; /health turns 200 when done. `on_ready` (optional)
  // is called with an empty string on success or the error message.
  void load_async(std::function<void(const std::string& error)> on_ready = {});
  // Serves until stop(); returns after the listener closed.
  void listen();
  void stop();

  int port() const { return port_; }
  // Which embedder memory uses and why (empty without memory).
  const std::string& memory_embedder() const { return mem_embedder_desc_; }
  bool ready() const { return state_.load() == State::ready; }
  std::string url() const;

 private:
  enum class State { loading, ready, failed };
  void mount();
  bool authorized(const std::string& auth_header, const std::string& x_api_key) const;

  ServeOptions opts_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<router::Router> router_;
  std::unique_ptr<router::Gateway> gateway_;
  std::shared_ptr<engine::Scheduler> sched_;
  std::shared_ptr<EngineBackend> backend_;
  std::function<void(router::GatewayOptions&)> configure_gateway_;
  std::vector<RouteMounter> extra_routes_;
  std::thread loader_;
  std::atomic<State> state_{State::loading};
  std::string load_error_;
  mutable std::mutex mu_;
  int port_ = -1;
  bool mounted_ = false;
  // Declared after router_ so they are destroyed before it (extraction calls the router).
  std::unique_ptr<memory::Embedder> mem_embedder_;
  std::string mem_embedder_desc_;
  std::unique_ptr<memory::Store> mem_store_;
  std::unique_ptr<memory::ProviderModel> mem_model_;
  std::unique_ptr<memory::ExtractWorker> mem_worker_;
  std::atomic<uint64_t> http_2xx_{0}, http_4xx_{0}, http_5xx_{0};
};

// The default model name for a file: its base name without ".gguf".
std::string model_name_for(const std::string& path);

}  // namespace hearth::server
