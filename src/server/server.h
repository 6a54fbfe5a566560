// The HTTP server of `hearth serve`: the router's OpenAI/Anthropic/Ollama gateway plus /health,
// /metrics, /tokenize, /detokenize, the memory and eval APIs of the web UI, and the embedded web
// UI itself. HTTP only: what sits behind it (the router with its local engine, the memory store)
// is built by src/app and handed in.
#pragma once
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "memory/reconcile.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace hearth::router {
class Router;
class Gateway;
struct GatewayOptions;
}  // namespace hearth::router

namespace hearth::memory {
class Store;
}

namespace hearth::server {

class EngineView;
class EvalJobControl;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see port())
  std::map<std::string, std::string> api_keys;  // name -> secret; empty = no authentication
  // Browser origins allowed besides this server's own and loopback ones ("*" = any); see
  // router/http_guard.h for the Host and Origin checks every request passes first.
  std::vector<std::string> allowed_origins;
  int http_threads = 0;                         // most connections served at once; <= 0: 1024 or 4 per slot + 32
  size_t max_body_bytes = 16u << 20;
  bool web_ui = true;
  std::filesystem::path eval_runs_dir;  // `hearth eval` runs, listed under /api/hearth/eval/runs
  std::string model_endpoint;           // where Ollama's /api/pull downloads from (empty: Hugging Face)
};

// What the server puts behind HTTP. Everything must outlive the server.
struct ServerParts {
  router::Router* router = nullptr;        // required: the gateway's routes go through it
  const EngineView* engine = nullptr;      // required: the in-process engine's state and tokenizer
  memory::Store* memory = nullptr;         // optional: /api/hearth/memory for the web UI
  EvalJobControl* eval_jobs = nullptr;     // optional: runs started from the web UI (/api/hearth/eval/jobs)
  // Optional: how the memory API's adds are reconciled (a model deciding); unset: the rules.
  std::function<memory::RememberOptions()> memory_remember;
  // Optional: adds hooks to the gateway (memory injection and extraction).
  std::function<void(router::GatewayOptions&)> configure_gateway;
  // Optional: a model deleted through /api/delete (unload and forget it).
  std::function<void(const std::string&)> model_removed;
};

// Extra routes (tests, packs); called with the server before it binds.
using RouteMounter = std::function<void(httplib::Server&)>;

class Server {
 public:
  Server(ServerOptions opts, ServerParts parts);
  ~Server();

  void add_routes(RouteMounter m);
  // Binds the socket; throws Error(io) naming host:port when it cannot. Returns the port.
  int bind();
  // Serves until stop(); returns after the listener closed.
  void listen();
  void stop();

  int port() const { return port_; }
  std::string url() const;

 private:
  void mount();
  void mount_guard_and_counters(httplib::Server& s);
  void mount_gateway(httplib::Server& s);
  void mount_web_api(httplib::Server& s);
  void mount_health_and_metrics(httplib::Server& s);
  void mount_tokenizer(httplib::Server& s);
  void mount_web_ui(httplib::Server& s);
  bool authorized(const std::string& auth_header, const std::string& x_api_key) const;
  // Wraps a handler: 401 without the key (when one is set), 503 while the model loads when
  // `need_model`.
  std::function<void(const httplib::Request&, httplib::Response&)> guarded(
      bool need_model, std::function<void(const httplib::Request&, httplib::Response&)> fn) const;

  ServerOptions opts_;
  ServerParts parts_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<router::Gateway> gateway_;
  std::vector<RouteMounter> extra_routes_;
  int port_ = -1;
  bool mounted_ = false;
  std::atomic<uint64_t> http_2xx_{0}, http_4xx_{0}, http_5xx_{0};
};

}  // namespace hearth::server
