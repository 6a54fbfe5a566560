// The in-process engine as a provider. The engine implements LocalBackend; whoever owns it (the
// server, a CLI command) puts it in the LocalBackendSlot it gave the router, and until then
// `local:NAME` answers "no local model loaded".
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "router/types.h"

namespace hearth::router {

class LocalBackend {
 public:
  virtual ~LocalBackend() = default;
  // Streams the reply to `req` (req.model is the NAME part of local:NAME).
  virtual void chat_stream(const ChatRequest& req, const StreamSink& sink) = 0;
  virtual void completion_stream(const CompletionRequest& req, const StreamSink& sink) = 0;
  virtual EmbeddingResponse embed(const EmbeddingRequest& req) = 0;
  // Model details for Ollama's /api/show (architecture, parameters, context, template, ...).
  virtual json show(const std::string& model) = 0;
  virtual std::vector<std::string> models() = 0;
  virtual Capabilities capabilities(const std::string& model) { return {}; }
  // Prompt tokens `req` would take (its messages through the model's chat template), or -1.
  virtual int64_t count_tokens(const ChatRequest& req) { return -1; }

  // Which models are loaded (Ollama's /api/ps). The default: every model, loaded for good.
  struct Status {
    std::string name;
    bool loaded = true;
    uint64_t bytes = 0;
    std::string expires_at;  // ISO 8601 UTC; "" = never
    uint64_t gpu_bytes = 0;  // of `bytes`, on a GPU
  };
  virtual std::vector<Status> status() {
    std::vector<Status> out;
    for (auto& m : models()) out.push_back({m, true, 0, "", 0});
    return out;
  }
  // Loads `model` now (Ollama's empty generate request), keeping it `keep_alive_s`.
  virtual void preload(const std::string& model, std::optional<double> keep_alive_s) {}
  // Unloads `model` once idle; false when it was not loaded.
  virtual bool unload(const std::string& model) { return false; }
};

// Where one router finds its in-process engine. Shared by the router and the engine's owner, who
// may install the engine after the model has loaded, or swap it. Thread-safe.
class LocalBackendSlot {
 public:
  void set(std::shared_ptr<LocalBackend> backend) {
    std::lock_guard<std::mutex> lk(mu_);
    backend_ = std::move(backend);
  }
  std::shared_ptr<LocalBackend> get() const {
    std::lock_guard<std::mutex> lk(mu_);
    return backend_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<LocalBackend> backend_;
};

}  // namespace hearth::router
