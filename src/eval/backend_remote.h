// Any model the router can reach as an evaluation backend. Log-likelihoods come from
// /v1/completions-style echo + logprobs (prompt = context + continuation, max_tokens 0); the
// continuation's tokens are those past the context's end in the echoed text. Requests run on
// `concurrency` threads.
#pragma once
#include <memory>
#include <mutex>
#include <optional>

#include "eval/backend.h"
#include "router/router.h"

namespace hearth::eval {

class RemoteBackend : public Backend {
 public:
  RemoteBackend(std::shared_ptr<router::Provider> provider, std::string model, int concurrency);
  std::string id() const override { return model_; }
  bool supports_loglikelihood() const override;
  std::string loglikelihood_unavailable_reason() const override;
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                 const OnLoglikelihood& done) override;
  RollingResult loglikelihood_rolling(const std::string& text, const RollingOptions& opt) override;
  std::vector<std::string> generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) override;
  json describe() const override;

 private:
  // Echoed prompt tokens (text, logprob, greedy) for one prompt.
  struct EchoToken {
    std::string text;
    double logprob = 0;
    bool has_logprob = false;
    bool greedy = true;
  };
  std::vector<EchoToken> echo(const std::string& prompt) const;
  LoglikelihoodResult one(const LoglikelihoodRequest& r) const;
  std::string generate_one(const GenerateRequest& r) const;
  // Runs fn(i) for every index on `concurrency_` threads; the first error is rethrown.
  void parallel(size_t n, const std::function<void(size_t)>& fn, const std::function<void(size_t)>& done) const;

  std::shared_ptr<router::Provider> p_;
  std::string model_;
  int concurrency_;
  mutable std::once_flag probe_once_;
  mutable bool ll_ok_ = false;
  mutable std::string ll_reason_;
  mutable bool completions_ok_ = true;
};

}  // namespace hearth::eval
