// `hearth serve` assembled: the router (remote providers from an optional config, plus the
// in-process engine as provider `local`, its model also answering to its bare name), the engine
// loading in the background, the memory store with its injection and extraction hooks, and the
// HTTP server (src/server) in front of them.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/memory_embedder.h"
#include "app/model_pool.h"
#include "engine/scheduler.h"
#include "model/model.h"
#include "server/server.h"

namespace hearth::router {
class Router;
}
namespace hearth::memory {
class Embedder;
class Store;
class ScopePolicyFile;
class ProviderModel;
class ExtractWorker;
struct Record;
}  // namespace hearth::memory

namespace hearth::app {

class EvalJobs;

struct ServeOptions {
  std::string model_path;  // GGUF file to serve: the default model, loaded at start
  std::string model_name;  // what clients call it (default: the file name without .gguf)
  // More models (-m given again): NAME=PATH pairs, loaded when first asked for.
  std::vector<PoolModel> more_models;
  // Where else models come from when asked for by name: a folder of .gguf files (named by their
  // file names) or, when empty, the models `hearth pull` stored. Disabled by `no_model_folder`.
  std::string models_dir;
  bool no_model_folder = false;
  std::string hf_endpoint;  // where /api/pull downloads from (empty: Hugging Face)
  double keep_alive_s = 300;  // how long a model other than the default stays loaded when idle
  int max_models = 3;         // loaded at once
  uint64_t max_memory = 0;    // bytes of loaded weights + KV caches; 0: 80% of RAM
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see port())
  engine::SchedulerOptions sched;
  model::LoadOptions load;  // ISA path and weight layout of the served model
  std::map<std::string, std::string> api_keys;  // name -> secret; empty = no authentication
  std::vector<std::string> allowed_origins;     // browser origins besides loopback and own ("*" = any)
  std::string router_config;                    // optional router YAML (remote providers, policies)
  bool local_only = false;
  // Without a router config the server has one model, and a request naming no model or another
  // one is served by it (the response says which); strict_model answers 404 instead.
  bool strict_model = false;
  std::string chat_template;  // overrides the model's template
  // The system message for chats that bring none; a pack's own when empty (with the pack's
  // precomputed keys and values of it, when the pack has them).
  std::string system;
  int http_threads = 0;       // most connections served at once; <= 0: 1024 or 4 per slot + 32
  size_t max_body_bytes = 16u << 20;
  bool web_ui = true;
  // Portable memory (src/memory): opens the store, serves its REST API to the web UI under
  // /api/hearth/memory, and lets a chat opt in (header X-Hearth-Memory: on, or body field
  // "hearth_memory": true) to get relevant memories in its system prompt and have new ones
  // extracted from the exchange afterwards (by the served model, in the background).
  bool memory = false;
  bool memory_default_on = false;  // requests that do not say are opted in
  std::string memory_db;           // default: $HEARTH_HOME/memory/memory.db
  EmbedderChoice memory_embedder;  // as `hearth memory`; `served` is filled in here
  // The router model that extracts memories from chats; "" = extract_model in the memory
  // folder's config.json, else the served model.
  std::string memory_extract_model;
  // `hearth eval` runs listed under /api/hearth/eval/runs for the web UI, which can also start
  // runs of the built-in tasks against the served models (src/app/eval_jobs.h).
  std::string eval_runs_dir;  // default: $HEARTH_HOME/eval/runs
  std::string eval_data;      // ${EVAL_DATA} of the built-in tasks; default $HEARTH_EVAL_DATA
  // Responses-API conversations (store / previous_response_id) under $HEARTH_HOME/responses are
  // kept this many days; 0: nothing is stored.
  double responses_retention_days = 30;
};

class ModelServer {
 public:
  explicit ModelServer(ServeOptions opts);
  ~ModelServer();

  // Hooks for the gateway (memory injection/extraction); set before bind().
  void set_gateway_hooks(const std::function<void(router::GatewayOptions&)>& configure);
  void add_routes(server::RouteMounter m);

  // Binds the socket; throws Error(io) naming host:port when it cannot. Returns the port.
  int bind();
  // Loads the model on a background thread; /health turns 200 when done. `on_ready` (optional)
  // is called with an empty string on success or the error message.
  void load_async(std::function<void(const std::string& error)> on_ready = {});
  // Serves until stop(); returns after the listener closed.
  void listen();
  void stop();

  int port() const;
  std::string url() const;
  bool ready() const;
  // Which embedder memory uses and why (empty without memory).
  const std::string& memory_embedder() const { return mem_embedder_desc_; }
  const std::string& memory_extractor() const { return mem_extractor_desc_; }
  router::Router& router() { return *router_; }
  ModelPool& models() { return *pool_; }

 private:
  void open_memory();
  server::Server& http();

  ServeOptions opts_;
  std::unique_ptr<router::Router> router_;
  std::shared_ptr<ModelPool> pool_;
  std::function<void(router::GatewayOptions&)> extra_gateway_hooks_;
  std::vector<server::RouteMounter> extra_routes_;
  // Declared after router_ and engine_ so they are destroyed before them (extraction calls the
  // router, which may call the engine).
  std::unique_ptr<memory::Embedder> mem_embedder_;
  std::string mem_embedder_desc_, mem_extractor_desc_;
  std::unique_ptr<memory::Store> mem_store_;
  std::unique_ptr<memory::ScopePolicyFile> mem_policies_;  // which memories may reach which provider
  std::unique_ptr<memory::ProviderModel> mem_model_;
  std::unique_ptr<memory::ExtractWorker> mem_worker_;
  bool mem_model_decides_ = false;  // the extraction model also decides the memory API's adds
  std::function<bool(const memory::Record&)> mem_may_show_;  // what the extraction model may see
  std::unique_ptr<EvalJobs> eval_jobs_;  // runs started from the web UI; they call the router
  std::unique_ptr<server::Server> http_;
};

// The default model name for a file: its base name without ".gguf".
std::string model_name_for(const std::string& path);

}  // namespace hearth::app
