#include "router/provider_local.h"

#include "router/provider.h"

namespace hearth::router {
namespace {

class LocalProvider : public Provider {
 public:
  LocalProvider(ProviderConfig c, std::shared_ptr<LocalBackendSlot> slot) : cfg_(std::move(c)), slot_(std::move(slot)) {}
  std::string name() const override { return cfg_.name; }
  void chat_stream(const ChatRequest& req, const StreamSink& sink) override { require()->chat_stream(req, sink); }
  void completion_stream(const CompletionRequest& req, const StreamSink& sink) override {
    require()->completion_stream(req, sink);
  }
  bool offers_embeddings() const override { return true; }
  EmbeddingResponse embed(const EmbeddingRequest& req) override { return require()->embed(req); }
  std::vector<ModelInfo> list_models() override {
    std::vector<ModelInfo> out;
    if (auto b = slot_->get())
      for (auto& m : b->models()) out.push_back({m, cfg_.name});
    return out;
  }
  Capabilities capabilities(const std::string& model) const override {
    auto b = slot_->get();
    return b ? b->capabilities(model) : Capabilities{};
  }

 private:
  std::shared_ptr<LocalBackend> require() const {
    auto b = slot_->get();
    if (!b)
      throw ProviderError(ErrorKind::not_found,
                          "no local model loaded (start hearth with a local model, or route to a remote provider)");
    return b;
  }

  ProviderConfig cfg_;
  std::shared_ptr<LocalBackendSlot> slot_;
};

}  // namespace

std::unique_ptr<Provider> make_local_provider(const ProviderConfig& c, const ProviderContext& ctx) {
  return std::make_unique<LocalProvider>(c, ctx.local ? ctx.local : std::make_shared<LocalBackendSlot>());
}

}  // namespace hearth::router
