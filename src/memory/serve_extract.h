// Memory for `hearth serve`, after the reply: the finished exchange goes to extract() so new
// facts become memories (and contradicted ones are updated with history kept). The server runs
// this off the request's thread; the extraction model is any router provider (local by default).
#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "memory/extract.h"
#include "router/provider.h"
#include "router/types.h"

namespace hearth::memory {

// An ExtractorModel answered by a router provider (the Router itself, or one provider).
class ProviderModel : public ExtractorModel {
 public:
  ProviderModel(router::Provider& provider, std::string model) : provider_(provider), model_(std::move(model)) {}
  std::string name() const override { return model_; }
  std::string complete(const std::string& system, const std::string& user) override;

 private:
  router::Provider& provider_;
  std::string model_;
};

struct ExtractAfterOptions {
  bool default_on = false;  // used when the request did not say (same switch as augment_chat)
  size_t max_turns = 6;     // latest user/assistant turns (the reply included) shown to the model
  std::string scope = "user";
  std::function<bool(const Record&)> may_show;  // ExtractOptions::may_show
};

// Proposes and applies memory operations from the request's latest turns plus the reply. Does
// nothing (an empty report) unless the request opted in and has a user turn. System messages are
// left out: they carry the memories augment_chat added, which extraction is shown separately.
ExtractionReport extract_after(Store& store, ExtractorModel& model, const router::ChatRequest& req,
                               const router::ChatResponse& resp, const ExtractAfterOptions& opts = {});

// Runs extract_after on one background thread so replies never wait for extraction. The queue
// is bounded: when extraction falls behind, new exchanges are dropped (and logged) rather than
// piling up. Failures are logged. Destroy it before the store and the model; the destructor
// finishes the queued work first.
class ExtractWorker {
 public:
  ExtractWorker(Store& store, ExtractorModel& model, ExtractAfterOptions opts = {}, size_t max_queue = 64);
  ~ExtractWorker();
  ExtractWorker(const ExtractWorker&) = delete;
  ExtractWorker& operator=(const ExtractWorker&) = delete;

  // Queues the exchange when it opted in; returns false when it was dropped (queue full).
  bool submit(const router::ChatRequest& req, const router::ChatResponse& resp);
  void drain();  // waits until everything queued so far has been processed
  size_t processed() const;

 private:
  void loop();
  Store& store_;
  ExtractorModel& model_;
  ExtractAfterOptions opts_;
  size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_;
  std::deque<std::pair<router::ChatRequest, router::ChatResponse>> queue_;
  bool busy_ = false, stop_ = false;
  size_t processed_ = 0;
  std::thread thread_;
};

}  // namespace hearth::memory
