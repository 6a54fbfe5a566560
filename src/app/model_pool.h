// The models one `hearth serve` can run: every -m file and the models of the model folder, loaded
// on demand. A request for a known model loads it (waiting requests for the same model share
// the load), keeps it for `keep_alive` (Ollama's field: default 5 minutes, 0 = unload after
// the request, negative = forever), and evicts the least recently used idle model when another
// would exceed --max-models or --max-memory. The pool is the router's `local` backend (it routes
// by model name) and what the HTTP server shows of the engine (/health, /tokenize, /metrics).
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/engine_backend.h"
#include "engine/scheduler.h"
#include "model/model.h"
#include "router/provider_local.h"
#include "server/engine_view.h"

namespace hearth::app {

struct PoolModel {
  std::string name;  // what clients call it
  std::string path;  // the GGUF file
  // A pack's persona and its precomputed KV (see engine::SchedulerOptions::prefix).
  std::string system;
  std::shared_ptr<const model::KvSnapshot> prefix;
};

struct ModelPoolOptions {
  std::vector<PoolModel> models;  // the first is the default model, loaded at start
  // Called on lookups of unknown names to find models added since (e.g. pulled): the model folder.
  std::function<std::vector<PoolModel>()> discover;
  engine::SchedulerOptions sched;  // sched.draft_model drafts for the default model only
  model::LoadOptions load;
  std::string chat_template;  // overrides every model's own
  double keep_alive_s = 300;  // default keep-alive; < 0: forever
  int max_models = 3;
  uint64_t max_memory = 0;    // bytes of weights + KV cache together; 0: 80% of physical memory
};

// One model's state, for /api/ps, /v1/models and /metrics.
struct PoolModelState {
  std::string name, path;
  bool loaded = false, loading = false;
  uint64_t bytes = 0;         // weights + KV cache (estimate until loaded)
  uint64_t gpu_bytes = 0;     // weights on the GPU (-ngl)
  int active = 0;             // requests using it now
  double expires_in_s = -1;   // seconds until unload when idle; < 0: never
  std::string expires_at;     // ISO 8601 UTC, or "" for never
  std::string error;          // the last load's error
};

class ModelPool : public router::LocalBackend, public server::EngineView {
 public:
  explicit ModelPool(ModelPoolOptions opts);
  ~ModelPool() override;

  // Loads the default model on a background thread (the server's start-up).
  void load_default_async(std::function<void(const std::string& error)> on_ready = {});
  std::vector<PoolModelState> states();
  // Forgets a model (deleted from the folder): unloads it and drops it from the list.
  void forget(const std::string& name);

  // router::LocalBackend: each call loads its model if needed and holds it while it runs.
  void chat_stream(const router::ChatRequest& req, const router::StreamSink& sink) override;
  void completion_stream(const router::CompletionRequest& req, const router::StreamSink& sink) override;
  router::EmbeddingResponse embed(const router::EmbeddingRequest& req) override;
  json show(const std::string& model) override;
  std::vector<std::string> models() override;
  router::Capabilities capabilities(const std::string& model) override;
  int64_t count_tokens(const router::ChatRequest& req) override;
  std::vector<Status> status() override;
  void preload(const std::string& model, std::optional<double> keep_alive_s) override;
  bool unload(const std::string& name) override;

  // server::EngineView: the default model's state and tokenizer; counters of all loaded models.
  std::string model_name() const override;
  server::EngineState state() const override;
  std::string load_error() const override;
  server::EngineCounters counters() const override;
  std::vector<ModelLoad> model_loads() const override;
  std::vector<int32_t> tokenize(const std::string& text, bool add_special, bool parse_special) const override;
  std::string token_piece(int32_t id, bool render_special) const override;
  int64_t n_vocab() const override;

 private:
  struct Entry;
  class Lease;
  Entry* find(const std::string& name);  // known, after discovery if needed; nullptr if not
  void discover();                       // adds the folder's new models (lock held)
  Lease acquire(const std::string& name, std::optional<double> keep_alive_s);
  // The entry called `name`, loaded (waits for a load under way); throws not_found or overloaded.
  Entry& loaded(const std::string& name, std::unique_lock<std::mutex>& lk);
  void load(Entry& e, std::unique_lock<std::mutex>& lk);
  void make_room(const Entry& incoming, std::unique_lock<std::mutex>& lk);
  // Loads e's model with what the other loaded models leave of the device (called unlocked).
  std::shared_ptr<engine::Scheduler> load_on_shared_device(const Entry& e, const engine::SchedulerOptions& so);
  void drop(Entry& e);  // unload now (idle only)
  void reap_loop();
  std::shared_ptr<EngineBackend> default_backend() const;

  ModelPoolOptions opts_;
  uint64_t max_memory_ = 0;
  // Device memory all loaded models share (-ngl): --gpu-memory, else the device's own as the
  // first offload reported it; 0 until known.
  uint64_t device_budget_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::string default_name_;
  bool stopping_ = false;
  std::thread reaper_;
  std::thread initial_;
  server::EngineCounters retired_;  // counters of models already unloaded
};

// Bytes of RAM a model will take once loaded: its tensors plus the F32 KV cache for `sched`.
uint64_t estimate_model_bytes(const std::string& path, const engine::SchedulerOptions& sched);

}  // namespace hearth::app
