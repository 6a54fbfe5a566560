// Evaluation runs started from the web UI (`POST /api/hearth/eval/jobs`, src/server/eval_routes.h).
// A job is `hearth eval run` over the server's own router: the served models answer through the
// same scheduler as chats (no second copy of the weights), a remote model goes through its
// provider and the ledger like any request. Jobs run one at a time, in order; a run writes its
// folder under the runs folder, where the page lists it, and logs its samples for the viewer.
// Only built-in task names are accepted: a task file path from an HTTP client would let it make
// the server read files.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "router/provider.h"
#include "server/eval_routes.h"

namespace hearth::app {

struct EvalJobsOptions {
  std::filesystem::path runs_dir;   // where runs are written (and listed)
  std::filesystem::path eval_data;  // ${EVAL_DATA} of the built-in tasks (empty: they say it is missing)
  std::string cache_path;           // request cache; empty: $HEARTH_HOME/eval/cache.sqlite
  // Throws Error naming the model when the router cannot serve it.
  std::function<void(const std::string& model)> check_model;
  size_t max_queued = 8;            // jobs waiting besides the running one
  size_t max_kept = 50;             // finished jobs remembered (oldest dropped first)
};

class EvalJobs : public server::EvalJobControl {
 public:
  // `provider` (usually the server's router) answers every request; it must outlive this object.
  EvalJobs(std::shared_ptr<router::Provider> provider, EvalJobsOptions opts);
  ~EvalJobs() override;  // cancels what is queued or running and waits for it

  ordered_json start(const json& request) override;
  ordered_json list() const override;
  std::optional<ordered_json> get(const std::string& id) const override;
  std::optional<ordered_json> cancel(const std::string& id) override;

 private:
  struct Job;
  void worker();
  void run(Job& job);
  ordered_json view(const Job& job) const;  // under mu_

  std::shared_ptr<router::Provider> provider_;
  EvalJobsOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Job>> jobs_;  // oldest first
  std::deque<std::shared_ptr<Job>> queue_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hearth::app
