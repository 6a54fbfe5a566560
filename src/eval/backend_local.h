// The in-process engine as an evaluation backend. Log-likelihoods come straight from the logits.
// One KV cache is kept across requests: a request that shares a token prefix with the previous
// one (the few-shot examples, a multiple-choice question's context) only runs what is new.
#pragma once
#include <memory>
#include <vector>

#include "engine/chat_format.h"

#include "core/thread_pool.h"
#include "engine/loader.h"
#include "eval/backend.h"
#include "model/kv_cache.h"

namespace hearth::eval {

class LocalBackend : public Backend {
 public:
  LocalBackend(const std::string& path, const BackendOptions& opts);
  std::string id() const override { return "local:" + path_; }
  bool supports_loglikelihood() const override { return true; }
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                 const OnLoglikelihood& done) override;
  RollingResult loglikelihood_rolling(const std::string& text, const RollingOptions& opt) override;
  std::vector<std::string> generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) override;
  json describe() const override;
  std::optional<std::string> render_chat(const std::string& system, const std::string& user) override;

  int64_t tokens_run() const { return tokens_run_; }  // tokens through the model so far (bench)

 private:
  LoglikelihoodResult one(const LoglikelihoodRequest& r);
  const engine::ChatFormatter& formatter();
  std::vector<engine::ChatMessage> chat_messages(const std::string& system, const std::string& user) const;
  std::string generate_one(const GenerateRequest& r);
  // Makes the cache hold exactly seq[0, keep) by reusing the common prefix with the history and
  // running the rest (logits of the last token only).
  void sync_prefix(const std::vector<int32_t>& seq, size_t keep);
  void run(std::span<const int32_t> toks, bool all_logits);
  RollingResult rolling_llama(const std::vector<int32_t>& tokens, int n, const RollingOptions& opt);
  RollingResult rolling_lm_eval(const std::vector<int32_t>& tokens, int n, const RollingOptions& opt);

  std::string path_;
  BackendOptions opts_;
  engine::LoadedModel lm_;
  std::unique_ptr<engine::ChatFormatter> formatter_;  // built on first use
  ThreadPool pool_;
  int64_t n_ctx_ = 0;
  model::KvCache cache_;
  std::vector<int32_t> hist_;  // tokens in cache_
  std::vector<float> logits_;
  int64_t tokens_run_ = 0;
};

}  // namespace hearth::eval
