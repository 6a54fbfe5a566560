#include "router/provider_local.h"

#include <mutex>

#include "router/provider.h"

namespace hearth::router {
namespace {

std::mutex g_mu;
std::shared_ptr<LocalBackend> g_backend;

std::shared_ptr<LocalBackend> require_backend() {
  auto b = local_backend();
  if (!b) throw ProviderError(ErrorKind::not_found, "no local model loaded (start hearth with a local model, or route to a remote provider)");
  return b;
}

class LocalProvider : public Provider {
 public:
  explicit LocalProvider(ProviderConfig c) : cfg_(std::move(c)) {}
  std::string name() const override { return cfg_.name; }
  void chat_stream(const ChatRequest& req, const StreamSink& sink) override { require_backend()->chat_stream(req, sink); }
  void completion_stream(const CompletionRequest& req, const StreamSink& sink) override {
    require_backend()->completion_stream(req, sink);
  }
  bool offers_embeddings() const override { return true; }
  EmbeddingResponse embed(const EmbeddingRequest& req) override { return require_backend()->embed(req); }
  std::vector<ModelInfo> list_models() override {
    std::vector<ModelInfo> out;
    if (auto b = local_backend())
      for (auto& m : b->models()) out.push_back({m, cfg_.name});
    return out;
  }
  Capabilities capabilities(const std::string& model) const override {
    auto b = local_backend();
    return b ? b->capabilities(model) : Capabilities{};
  }

 private:
  ProviderConfig cfg_;
};

std::unique_ptr<Provider> make_local(const ProviderConfig& c) { return std::make_unique<LocalProvider>(c); }

}  // namespace

void set_local_backend(std::shared_ptr<LocalBackend> backend) {
  std::lock_guard<std::mutex> lk(g_mu);
  g_backend = std::move(backend);
}

std::shared_ptr<LocalBackend> local_backend() {
  std::lock_guard<std::mutex> lk(g_mu);
  return g_backend;
}

HEARTH_REGISTER_PROVIDER("local", make_local);
void link_provider_local() {}

void link_provider_openai();
void link_provider_anthropic();
void link_provider_gemini();
void link_provider_ollama();

void link_builtin_providers() {
  link_provider_openai();
  link_provider_anthropic();
  link_provider_gemini();
  link_provider_ollama();
  link_provider_local();
}

}  // namespace hearth::router
