// One evaluation run sharded over a pool of endpoints from the router config (several hearth
// servers, vLLM, llama.cpp serving the same model). Requests sit in one shared queue that every
// endpoint's workers pull from, so a slow endpoint simply takes fewer (work stealing); each
// endpoint runs up to its own concurrency. An endpoint that fails with a transport-level error
// (after the router's own retries) is taken out of the run and its request goes back to the
// queue for the others; only when every endpoint is out does the run fail.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>

#include "eval/backend_remote.h"
#include "router/config.h"

namespace hearth::eval {

class PoolBackend : public Backend {
 public:
  PoolBackend(std::shared_ptr<router::Provider> router, const router::Pool& pool);
  std::string id() const override { return "pool:" + name_; }
  bool supports_loglikelihood() const override;
  std::string loglikelihood_unavailable_reason() const override;
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                 const OnLoglikelihood& done) override;
  RollingResult loglikelihood_rolling(const std::string& text, const RollingOptions& opt) override;
  std::vector<std::string> generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) override;
  json describe() const override;

 private:
  struct Member {
    std::string model;
    int concurrency = 1;
    std::unique_ptr<RemoteBackend> backend;  // concurrency 1: the pool schedules
    std::atomic<bool> out{false};            // failed during this run
    std::atomic<int64_t> served{0};
    std::string error;                       // why it was taken out (guarded by mu_)
  };
  // Runs fn(member, i) for every index over the live members' workers; see the header comment.
  void take_out(Member& m, const std::string& why) const;
  std::string outages() const;  // "model: error; ..." for every endpoint taken out
  void run(size_t n, const std::function<void(Member&, size_t)>& fn, const std::function<void(size_t)>& done);
  std::string name_;
  std::vector<std::unique_ptr<Member>> members_;
  std::atomic<size_t> rr_{0};  // round-robin start for single calls
  mutable std::mutex mu_;
};

}  // namespace hearth::eval
