// The in-process engine as the router's `local` provider: turns canonical chat, completion and
// embedding requests into scheduler requests (chat template, tokenizer, sampling settings) and
// the scheduler's events back into the router's stream events. JSON stays in the gateway.
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/chat_format.h"
#include "engine/scheduler.h"
#include "router/provider_local.h"

namespace hearth::app {

class EngineBackend : public router::LocalBackend {
 public:
  // `name` is what clients call the model (local:NAME or the NAME alias).
  // `system`: the system message for chats that bring none (a pack's persona); "" = none.
  EngineBackend(std::shared_ptr<engine::Scheduler> sched, std::string name, std::string chat_template = {},
                std::string system = {});

  void chat_stream(const router::ChatRequest& req, const router::StreamSink& sink) override;
  void completion_stream(const router::CompletionRequest& req, const router::StreamSink& sink) override;
  router::EmbeddingResponse embed(const router::EmbeddingRequest& req) override;
  std::vector<std::string> models() override { return {name_}; }
  router::Capabilities capabilities(const std::string& model) override;
  json show(const std::string& model) override;
  int64_t count_tokens(const router::ChatRequest& req) override;

  const std::string& name() const { return name_; }
  engine::Scheduler& scheduler() { return *sched_; }

 private:
  void check_model(const std::string& model) const;
  // The request's messages for the template, the default system message first when it has none.
  std::vector<engine::ChatMessage> messages_for(const router::ChatRequest& req) const;
  // Submits and relays events; `echo_text` is sent (with the prompt's logprobs) before output.
  void run(engine::GenRequest gen, const router::StreamSink& sink, const std::string* echo_text);

  std::shared_ptr<engine::Scheduler> sched_;
  std::string name_;
  std::string system_;
  engine::ChatFormatter formatter_;
  std::vector<int32_t> marker_tokens_;  // the tool syntax's call markers this vocabulary holds as control tokens
  std::atomic<uint64_t> next_id_{0};  // response ids
};

// The router's error for an engine error (queue full -> overloaded with a retry hint, prompt
// too long -> context_length, bad settings -> bad_request).
router::ProviderError provider_error(const Error& e);

}  // namespace hearth::app
