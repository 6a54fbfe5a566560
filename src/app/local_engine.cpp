#include "app/local_engine.h"

#include "core/error.h"
#include "engine/loader.h"
#include "tokenizer/tokenizer.h"

namespace hearth::app {
namespace {

// Stands in for the engine while the model loads.
class LoadingBackend : public router::LocalBackend {
 public:
  explicit LoadingBackend(std::string name) : name_(std::move(name)) {}
  [[noreturn]] void busy() const {
    throw router::ProviderError(router::ErrorKind::overloaded, "model '" + name_ + "' is still loading", 503, 1.0);
  }
  void chat_stream(const router::ChatRequest&, const router::StreamSink&) override { busy(); }
  void completion_stream(const router::CompletionRequest&, const router::StreamSink&) override { busy(); }
  router::EmbeddingResponse embed(const router::EmbeddingRequest&) override { busy(); }
  std::vector<std::string> models() override { return {name_}; }
  json show(const std::string&) override { busy(); }

 private:
  std::string name_;
};

}  // namespace

LocalEngine::LocalEngine(LocalEngineOptions opts, std::shared_ptr<router::LocalBackendSlot> slot)
    : opts_(std::move(opts)), slot_(std::move(slot)) {
  slot_->set(std::make_shared<LoadingBackend>(opts_.model_name));
}

LocalEngine::~LocalEngine() {
  if (loader_.joinable()) loader_.join();
}

void LocalEngine::load_async(std::function<void(const std::string&)> on_ready) {
  loader_ = std::thread([this, on_ready] {
    std::string err;
    try {
      auto sched = std::make_shared<engine::Scheduler>(engine::load_model(opts_.model_path, opts_.load), opts_.sched);
      auto backend = std::make_shared<EngineBackend>(sched, opts_.model_name, opts_.chat_template);
      std::atomic_store(&sched_, sched);
      slot_->set(std::move(backend));
      state_.store(server::EngineState::ready);
    } catch (const std::exception& e) {
      err = e.what();
      {
        std::lock_guard<std::mutex> lk(mu_);
        load_error_ = err;
      }
      state_.store(server::EngineState::failed);
    }
    if (on_ready) on_ready(err);
  });
}

std::string LocalEngine::load_error() const {
  std::lock_guard<std::mutex> lk(mu_);
  return load_error_;
}

server::EngineCounters LocalEngine::counters() const {
  engine::SchedulerMetrics m;
  if (auto s = scheduler()) m = s->metrics();
  server::EngineCounters c;
  c.requests_total = m.requests_total;
  c.rejected_total = m.rejected_total;
  c.cancelled_total = m.cancelled_total;
  c.prompt_tokens_total = m.prompt_tokens_total;
  c.cached_tokens_total = m.cached_tokens_total;
  c.generated_tokens_total = m.generated_tokens_total;
  c.steps_total = m.steps_total;
  c.queue_depth = m.queue_depth;
  c.slots_busy = m.slots_busy;
  c.slots_total = opts_.sched.parallel;
  c.generation_tps = m.generation_tps;
  c.prompt_tps = m.prompt_tps;
  return c;
}

std::vector<int32_t> LocalEngine::tokenize(const std::string& text, bool add_special, bool parse_special) const {
  auto s = scheduler();
  if (!s) fail(Errc::overloaded, "the model is still loading");
  return s->tokenizer().encode(text, add_special, parse_special);
}

std::string LocalEngine::token_piece(int32_t id, bool render_special) const {
  auto s = scheduler();
  if (!s) fail(Errc::overloaded, "the model is still loading");
  return s->tokenizer().token_to_piece(id, render_special);
}

int64_t LocalEngine::n_vocab() const {
  auto s = scheduler();
  return s ? s->model().n_vocab() : 0;
}

}  // namespace hearth::app
