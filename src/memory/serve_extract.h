// Memory for `hearth serve`, after the reply: the finished exchange goes to extract() so new
// facts become memories (and contradicted ones are updated with history kept). The server runs
// this off the request's thread; the extraction model is any router provider (local by default).
#pragma once
#include <string>

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
};

// Proposes and applies memory operations from the request's latest turns plus the reply. Does
// nothing (an empty report) unless the request opted in and has a user turn. System messages are
// left out: they carry the memories augment_chat added, which extraction is shown separately.
ExtractionReport extract_after(Store& store, ExtractorModel& model, const router::ChatRequest& req,
                               const router::ChatResponse& resp, const ExtractAfterOptions& opts = {});

}  // namespace hearth::memory
