#include "app/memory_embedder.h"

#include <filesystem>
#include <functional>
#include <mutex>

#include "core/error.h"
#include "engine/loader.h"
#include "engine/scheduler.h"
#include "hub/catalog.h"
#include "hub/model_store.h"
#include "memory/embed_settings.h"
#include "memory/provider_embedder.h"
#include "router/config.h"
#include "router/router.h"
#include "app/engine_backend.h"

namespace hearth::app {
namespace {

namespace fs = std::filesystem;

// Knows its name up front; opens the model on the first embed().
class LazyEmbedder : public memory::Embedder {
 public:
  LazyEmbedder(std::string name, std::function<std::unique_ptr<memory::Embedder>()> open)
      : name_(std::move(name)), open_(std::move(open)) {}
  std::string name() const override { return name_; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
    std::call_once(once_, [&] { inner_ = open_(); });
    return inner_->embed(texts);
  }

 private:
  std::string name_;
  std::function<std::unique_ptr<memory::Embedder>()> open_;
  std::once_flag once_;
  std::unique_ptr<memory::Embedder> inner_;
};

// One engine as a provider of embeddings only, without installing it as the process's local
// backend (hearth serve's own model holds that place).
class EngineEmbeddings : public router::Provider {
 public:
  explicit EngineEmbeddings(std::shared_ptr<EngineBackend> backend) : backend_(std::move(backend)) {}
  std::string name() const override { return "local"; }
  void chat_stream(const router::ChatRequest&, const router::StreamSink&) override {
    fail(Errc::unsupported, "the memory embedding engine only embeds");
  }
  bool offers_embeddings() const override { return true; }
  router::EmbeddingResponse embed(const router::EmbeddingRequest& req) override { return backend_->embed(req); }

 private:
  std::shared_ptr<EngineBackend> backend_;
};

// Owns an engine on `path` and embeds with it through the provider interface, as `hearth serve`'s
// /v1/embeddings does.
class LocalEngineEmbedder : public memory::Embedder {
 public:
  LocalEngineEmbedder(const std::string& path, std::string name, const model::LoadOptions& load)
      : name_(std::move(name)) {
    std::string served = fs::path(path).stem().string();
    engine::SchedulerOptions so;
    so.parallel = 4;
    so.queue_limit = 1024;  // a whole embedding batch is queued at once
    sched_ = std::make_shared<engine::Scheduler>(engine::load_model(path, load), so);
    auto backend = std::make_shared<EngineBackend>(sched_, served);
    inner_ = std::make_unique<memory::ProviderEmbedder>(std::make_shared<EngineEmbeddings>(backend), served, name_);
  }
  std::string name() const override { return name_; }
  // A memory longer than the model's context is embedded from its beginning (as embedding
  // servers truncate), so long conversation episodes can still be stored.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
    const auto& tok = sched_->tokenizer();
    const size_t limit = static_cast<size_t>(std::max<int64_t>(8, sched_->slot_ctx() - 8));
    std::vector<std::string> fitted;
    fitted.reserve(texts.size());
    for (const auto& t : texts) {
      auto ids = tok.encode(t, true, false);
      if (ids.size() <= limit) {
        fitted.push_back(t);
        continue;
      }
      ids.resize(limit - 1);  // room for a BOS the re-encoding may add
      fitted.push_back(tok.decode(ids));
    }
    return inner_->embed(fitted);
  }

 private:
  std::shared_ptr<engine::Scheduler> sched_;
  std::string name_;
  std::unique_ptr<memory::ProviderEmbedder> inner_;
};

std::unique_ptr<memory::Embedder> routed(const std::string& model) {
  fs::path file = router::default_config_path();
  if (!fs::exists(file))
    fail(Errc::not_found, "embedding model " + model + " needs a router config: " + file.string() +
                              " does not exist (see docs/router.md), or use local:FILE.gguf");
  auto r = std::make_shared<router::Router>(router::load_config(file));
  return std::make_unique<memory::ProviderEmbedder>(r, model);
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return !a.empty() && !b.empty() && fs::equivalent(a, b, ec);
}

MemoryEmbedder from_spec(const std::string& text, const std::string& source, const EmbedderChoice& c) {
  MemoryEmbedder out;
  out.source = source;
  auto spec = memory::parse_embed_spec(text, source);
  if (spec.kind == memory::EmbedSpec::Kind::hash) {
    out.embedder = std::make_unique<memory::HashEmbedder>();
    out.spec = "hash";
    return out;
  }
  out.is_model = true;
  if (spec.kind == memory::EmbedSpec::Kind::routed) {
    out.spec = spec.target;
    out.embedder = std::make_unique<LazyEmbedder>(spec.target, [m = spec.target] { return routed(m); });
    return out;
  }
  // A pulled model's name works as well as a path; the stored name is the file's, so the same
  // file reached by another path keeps its vectors.
  std::string path = hub::resolve_model_path(spec.target);
  std::string name = "local:" + fs::path(path).filename().string();
  out.spec = "local:" + path;
  const ServedModel* served = c.served;
  if (served && served->via && same_file(path, served->path)) {
    out.embedder = std::make_unique<memory::ProviderEmbedder>(served->via, served->model, name);
    return out;
  }
  out.embedder = std::make_unique<LazyEmbedder>(
      name, [path, name, load = c.load] { return std::make_unique<LocalEngineEmbedder>(path, name, load); });
  return out;
}

}  // namespace

MemoryEmbedder open_memory_embedder(const EmbedderChoice& c) {
  if (!c.flag.empty()) return from_spec(c.flag, "--embed-model", c);
  if (!c.endpoint_url.empty()) {
    if (c.endpoint_model.empty()) fail(Errc::invalid_argument, "HEARTH_EMBED_URL is set but HEARTH_EMBED_MODEL is not");
    MemoryEmbedder out;
    out.embedder = std::make_unique<memory::HttpEmbedder>(c.endpoint_url, c.endpoint_model, c.endpoint_key);
    out.spec = c.endpoint_url;
    out.source = "HEARTH_EMBED_URL";
    out.is_model = true;
    return out;
  }
  if (auto saved = memory::load_embed_setting()) return from_spec(*saved, memory::embed_config_path().string(), c);
  // A pulled embedding model (an encoder made for retrieval) beats the default chat model.
  const auto pulled = hub::list_models();
  for (const auto& e : hub::catalog())
    if (e.embedding)
      for (const auto& m : pulled)
        if (m.name == e.name && fs::exists(m.path))
          return from_spec("local:" + m.path, "the embedding model " + e.name + " (pulled)", c);
  const std::string def = hub::default_model().name;
  for (const auto& m : pulled)
    if (m.name == def && fs::exists(m.path)) return from_spec("local:" + m.path, "the default model " + def + " (pulled)", c);
  return from_spec("hash", "no embedding model is configured or pulled", c);
}

}  // namespace hearth::app
