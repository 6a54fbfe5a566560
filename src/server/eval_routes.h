// JSON API of the web UI's Evaluations page, mounted by `hearth serve`. Finished runs:
//   GET /api/hearth/eval/runs        {"runs": [{id, model, date, tasks, metrics} | {id, error}]}, newest first
//   GET /api/hearth/eval/runs/{id}   one run's results.json without its task configs, plus "id"
//   GET /api/hearth/eval/runs/{id}/samples[/{task}?offset&limit]   logged samples
// An id is a folder name directly under the runs folder; anything else (a slash, "..") is 400,
// an unknown id 404. Runs started from the page (when the server runs them, EvalJobControl):
//   GET  /api/hearth/eval/jobs              {"jobs": [job...], "tasks": [built-in task names]}
//   POST /api/hearth/eval/jobs              {tasks, model, limit?, num_fewshot?, apply_chat_template?,
//                                           concurrency?} -> 202 job; a bad field is 400 naming it
//   GET  /api/hearth/eval/jobs/{id}         job
//   POST /api/hearth/eval/jobs/{id}/cancel  job (stops once the requests in flight finish)
// A job is {id, tasks, model, limit, state: queued|running|cancelling|finished|failed|cancelled,
// phase, done, total, error?, run?, created, started?, ended?}; `run` is the finished run's id.
// Errors are {"error": {"message", "type"}}.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/json.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace hearth::server {

inline constexpr const char* kEvalApiPrefix = "/api/hearth/eval/runs";
inline constexpr const char* kEvalJobsPrefix = "/api/hearth/eval/jobs";

// Runs started over HTTP (src/app/eval_jobs.h is the server's). Jobs are JSON as above.
class EvalJobControl {
 public:
  virtual ~EvalJobControl() = default;
  // Queues a run; throws Error(invalid_argument) naming a bad field, Error(overloaded) when the
  // queue is full.
  virtual ordered_json start(const json& request) = 0;
  virtual ordered_json list() const = 0;
  virtual std::optional<ordered_json> get(const std::string& id) const = 0;
  virtual std::optional<ordered_json> cancel(const std::string& id) = 0;
};

struct EvalRouteOptions {
  std::filesystem::path runs_dir;  // usually $HEARTH_HOME/eval/runs; only read here
  EvalJobControl* jobs = nullptr;  // null: the jobs routes answer 404 saying so
  // When set, a request it refuses gets 401 (the server's API keys).
  std::function<bool(const httplib::Request&)> authorize;
};

void mount_eval_routes(httplib::Server& server, const EvalRouteOptions& opts);

}  // namespace hearth::server
