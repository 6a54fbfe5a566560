// The in-process engine as a provider. The engine implements LocalBackend and installs itself
// with set_local_backend(); until then `local:NAME` answers "no local model loaded".
#pragma once
#include <memory>
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
};

// Process-wide; pass nullptr to uninstall. Thread-safe.
void set_local_backend(std::shared_ptr<LocalBackend> backend);
std::shared_ptr<LocalBackend> local_backend();

}  // namespace hearth::router
