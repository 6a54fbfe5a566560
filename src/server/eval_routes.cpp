#include "server/eval_routes.h"

#include <httplib.h>

#include <filesystem>
#include <optional>

#include "core/error.h"
#include "core/json.h"
#include "eval/builtin.h"
#include "eval/run_store.h"
#include "server/json_reply.h"

namespace hearth::server {
namespace {

void reply_error(httplib::Response& res, int status, const std::string& type, const std::string& message) {
  send_ordered(res, status, {{"error", {{"message", message}, {"type", type}}}});
}

template <class Guard>
void mount_eval_job_routes(httplib::Server& s, EvalJobControl* jobs, const Guard& guarded) {
  const std::string prefix = kEvalJobsPrefix;
  auto no_jobs = [](httplib::Response& res) {
    reply_error(res, 404, "not_found", "this server does not run evaluations (start one with hearth eval run)");
  };
  auto unknown = [](httplib::Response& res, const std::string& id) {
    reply_error(res, 404, "not_found", "no evaluation job \"" + id + "\" (jobs last as long as the server)");
  };
  s.Get(prefix, guarded([jobs, no_jobs](const httplib::Request&, httplib::Response& res) {
    if (!jobs) return no_jobs(res);
    ordered_json tasks = ordered_json::array();
    for (const auto& [name, _] : eval::builtin_tasks()) tasks.push_back(name);
    send_ordered(res, 200, {{"jobs", jobs->list()}, {"tasks", tasks}});
  }));
  s.Post(prefix, guarded([jobs, no_jobs](const httplib::Request& req, httplib::Response& res) {
    if (!jobs) return no_jobs(res);
    json body;
    try {
      body = json::parse(req.body);
    } catch (const std::exception& e) {
      return reply_error(res, 400, "invalid_argument", std::string("the body is not JSON: ") + e.what());
    }
    if (!body.is_object()) return reply_error(res, 400, "invalid_argument", "the body must be a JSON object");
    send_ordered(res, 202, jobs->start(body));
  }));
  s.Get(prefix + "/([^/]+)", guarded([jobs, no_jobs, unknown](const httplib::Request& req, httplib::Response& res) {
    if (!jobs) return no_jobs(res);
    if (auto j = jobs->get(req.matches[1])) return send_ordered(res, 200, *j);
    unknown(res, req.matches[1]);
  }));
  s.Post(prefix + "/([^/]+)/cancel", guarded([jobs, no_jobs, unknown](const httplib::Request& req, httplib::Response& res) {
    if (!jobs) return no_jobs(res);
    if (auto j = jobs->cancel(req.matches[1])) return send_ordered(res, 200, *j);
    unknown(res, req.matches[1]);
  }));
}

}  // namespace

void mount_eval_routes(httplib::Server& s, const EvalRouteOptions& opts) {
  auto guarded = [auth = opts.authorize](auto fn) {
    return [auth, fn](const httplib::Request& req, httplib::Response& res) {
      if (auth && !auth(req)) return reply_error(res, 401, "authentication_error", "invalid or missing API key");
      try {
        fn(req, res);
      } catch (const Error& e) {
        const int status = e.code() == Errc::not_found          ? 404
                           : e.code() == Errc::format           ? 422
                           : e.code() == Errc::invalid_argument ? 400
                           : e.code() == Errc::overloaded       ? 429
                                                                : 500;
        reply_error(res, status, errc_name(e.code()), e.what());
      } catch (const std::exception& e) {
        reply_error(res, 500, "internal", e.what());
      }
    };
  };
  const std::filesystem::path dir = opts.runs_dir;
  mount_eval_job_routes(s, opts.jobs, guarded);
  s.Get(kEvalApiPrefix, guarded([dir](const httplib::Request&, httplib::Response& res) {
    send_ordered(res, 200, {{"runs", eval::list_runs(dir)}});
  }));
  // A run's logged samples: the tasks that have them, then one page of a task's
  // (?offset=0&limit=20, limit at most 200).
  auto run_dir = [dir](const std::string& id, httplib::Response& res) -> std::optional<std::filesystem::path> {
    if (!eval::valid_run_id(id)) {
      reply_error(res, 400, "invalid_argument",
                  "bad run id \"" + id + "\": an id is a folder name under the runs folder (no '/', not '..')");
      return std::nullopt;
    }
    if (!std::filesystem::exists(dir / id / "results.json")) {
      reply_error(res, 404, "not_found", "no evaluation run \"" + id + "\"");
      return std::nullopt;
    }
    return dir / id;
  };
  s.Get(std::string(kEvalApiPrefix) + "/([^/]+)/samples", guarded([run_dir](const httplib::Request& req, httplib::Response& res) {
    if (auto run = run_dir(req.matches[1], res)) send_ordered(res, 200, {{"tasks", eval::sample_tasks(*run)}});
  }));
  s.Get(std::string(kEvalApiPrefix) + "/([^/]+)/samples/([^/]+)", guarded([run_dir](const httplib::Request& req,
                                                                                   httplib::Response& res) {
    auto run = run_dir(req.matches[1], res);
    if (!run) return;
    auto number = [&](const char* key, size_t fallback, size_t max) -> std::optional<size_t> {
      if (!req.has_param(key)) return fallback;
      const std::string v = req.get_param_value(key);
      if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos || std::stoul(v) > max) {
        reply_error(res, 400, "invalid_argument",
                    std::string(key) + " must be a whole number from 0 to " + std::to_string(max) + ", got \"" + v + "\"");
        return std::nullopt;
      }
      return std::stoul(v);
    };
    const auto offset = number("offset", 0, 100000000);
    if (!offset) return;
    const auto limit = number("limit", 20, 200);
    if (!limit) return;
    send_ordered(res, 200, eval::read_samples(*run, req.matches[2], *offset, *limit));
  }));
  s.Get(std::string(kEvalApiPrefix) + "/(.*)", guarded([dir](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    if (!eval::valid_run_id(id))
      return reply_error(res, 400, "invalid_argument",
                         "bad run id \"" + id + "\": an id is a folder name under the runs folder (no '/', not '..')");
    const std::filesystem::path run = dir / id;
    if (!std::filesystem::exists(run / "results.json"))
      return reply_error(res, 404, "not_found", "no evaluation run \"" + id + "\"");
    send_ordered(res, 200, eval::chart_view(eval::load_run_results(run), id));
  }));
}

}  // namespace hearth::server
