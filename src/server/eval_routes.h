// Read-only JSON API over finished evaluation runs for the web UI's Evaluations page, mounted by
// `hearth serve`:
//   GET /api/hearth/eval/runs        {"runs": [{id, model, date, tasks, metrics} | {id, error}]}, newest first
//   GET /api/hearth/eval/runs/{id}   one run's results.json without its task configs, plus "id"
// An id is a folder name directly under the runs folder; anything else (a slash, "..") is 400,
// an unknown id 404. Errors are {"error": {"message", "type"}}.
#pragma once
#include <filesystem>
#include <functional>

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace hearth::server {

inline constexpr const char* kEvalApiPrefix = "/api/hearth/eval/runs";

struct EvalRouteOptions {
  std::filesystem::path runs_dir;  // usually $HEARTH_HOME/eval/runs; read only, never created
  // When set, a request it refuses gets 401 (the server's API keys).
  std::function<bool(const httplib::Request&)> authorize;
};

void mount_eval_routes(httplib::Server& server, const EvalRouteOptions& opts);

}  // namespace hearth::server
