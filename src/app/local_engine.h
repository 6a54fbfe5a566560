// The in-process engine of `hearth serve`: loads the model on a background thread, and until it
// is ready keeps a placeholder in the router's local slot that answers "loading" (503 with
// Retry-After); then installs the engine there. Also what the HTTP server shows of it
// (server::EngineView: state, tokenizer, counters).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/engine_backend.h"
#include "engine/scheduler.h"
#include "model/model.h"
#include "router/provider_local.h"
#include "server/engine_view.h"

namespace hearth::app {

struct LocalEngineOptions {
  std::string model_path;
  std::string model_name;     // what clients call it
  std::string chat_template;  // overrides the model's
  engine::SchedulerOptions sched;
  model::LoadOptions load;
};

class LocalEngine : public server::EngineView {
 public:
  // Puts the placeholder into `slot` at once.
  LocalEngine(LocalEngineOptions opts, std::shared_ptr<router::LocalBackendSlot> slot);
  ~LocalEngine() override;  // waits for a load in progress

  // Loads on a background thread; `on_ready` (optional) gets "" on success or the error message.
  void load_async(std::function<void(const std::string& error)> on_ready = {});

  std::string model_name() const override { return opts_.model_name; }
  server::EngineState state() const override { return state_.load(); }
  std::string load_error() const override;
  server::EngineCounters counters() const override;
  std::vector<int32_t> tokenize(const std::string& text, bool add_special, bool parse_special) const override;
  std::string token_piece(int32_t id, bool render_special) const override;
  int64_t n_vocab() const override;

 private:
  std::shared_ptr<engine::Scheduler> scheduler() const { return std::atomic_load(&sched_); }

  LocalEngineOptions opts_;
  std::shared_ptr<router::LocalBackendSlot> slot_;
  std::shared_ptr<engine::Scheduler> sched_;
  std::thread loader_;
  std::atomic<server::EngineState> state_{server::EngineState::loading};
  mutable std::mutex mu_;
  std::string load_error_;
};

}  // namespace hearth::app
