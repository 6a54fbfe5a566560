#include "app/eval_jobs.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "eval/backend_remote.h"
#include "eval/builtin.h"
#include "eval/runner.h"

namespace hearth::app {

struct EvalJobs::Job {
  std::string id;
  std::vector<std::string> tasks;
  std::string model;
  int64_t limit = -1;
  std::optional<int> num_fewshot;
  bool apply_chat_template = false;
  int concurrency = 2;
  // Written by the worker, read by HTTP threads: under mu_ (cancel is atomic so the run sees it).
  std::string state = "queued", phase, error, run;
  int64_t done = 0, total = 0;
  double created = 0, started = 0, ended = 0;
  std::atomic<bool> cancel{false};
};

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string field_error(const std::string& field, const std::string& what) { return "field \"" + field + "\": " + what; }

// A whole number in [lo, hi] or the field's error.
int64_t whole_number(const json& body, const std::string& field, int64_t lo, int64_t hi) {
  const json& v = body.at(field);
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    fail(Errc::invalid_argument,
         field_error(field, "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " + v.dump()));
  return v.get<int64_t>();
}

std::vector<std::string> task_names(const json& v) {
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    // "a, b" in one string, as the CLI's --task a,b.
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      if (comma == std::string::npos) comma = s.size();
      std::string t = s.substr(start, comma - start);
      t.erase(0, t.find_first_not_of(" \t"));
      t.erase(t.find_last_not_of(" \t") + 1);
      if (!t.empty()) out.push_back(t);
      start = comma + 1;
    }
  };
  if (v.is_string()) add(v.get<std::string>());
  else if (v.is_array())
    for (const auto& e : v) {
      if (!e.is_string()) fail(Errc::invalid_argument, field_error("tasks", "expected task names (strings), got " + e.dump()));
      add(e.get<std::string>());
    }
  else fail(Errc::invalid_argument, field_error("tasks", "expected a list of task names or one comma-separated string"));
  if (out.empty()) fail(Errc::invalid_argument, field_error("tasks", "no task named"));
  if (out.size() > 32) fail(Errc::invalid_argument, field_error("tasks", "at most 32 tasks per run"));
  const auto& known = eval::builtin_tasks();
  for (const auto& t : out)
    if (!known.count(t)) {
      std::string names;
      for (const auto& [n, _] : known) names += (names.empty() ? "" : ", ") + n;
      fail(Errc::invalid_argument,
           field_error("tasks", "unknown task \"" + t + "\"; runs started over HTTP take built-in tasks: " + names +
                                    " (task files run with hearth eval run)"));
    }
  return out;
}

}  // namespace

EvalJobs::EvalJobs(std::shared_ptr<router::Provider> provider, EvalJobsOptions opts)
    : provider_(std::move(provider)), opts_(std::move(opts)) {
  thread_ = std::thread([this] { worker(); });
}

EvalJobs::~EvalJobs() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    for (auto& j : jobs_) j->cancel = true;
  }
  cv_.notify_all();
  thread_.join();
}

ordered_json EvalJobs::start(const json& body) {
  static const char* const kFields[] = {"tasks", "model", "limit", "num_fewshot", "apply_chat_template", "concurrency"};
  for (const auto& [k, _] : body.items())
    if (std::find(std::begin(kFields), std::end(kFields), k) == std::end(kFields))
      fail(Errc::invalid_argument,
           "unknown field \"" + k + "\" (known: tasks, model, limit, num_fewshot, apply_chat_template, concurrency)");
  auto job = std::make_shared<Job>();
  if (!body.contains("tasks")) fail(Errc::invalid_argument, field_error("tasks", "required"));
  job->tasks = task_names(body["tasks"]);
  if (!body.contains("model") || !body["model"].is_string() || body["model"].get<std::string>().empty())
    fail(Errc::invalid_argument, field_error("model", "required: the name of a model this server answers for"));
  job->model = body["model"].get<std::string>();
  if (opts_.check_model) {
    try {
      opts_.check_model(job->model);
    } catch (const std::exception& e) {
      fail(Errc::invalid_argument, field_error("model", e.what()));
    }
  }
  if (body.contains("limit") && !body["limit"].is_null()) job->limit = whole_number(body, "limit", 1, 100000000);
  if (body.contains("num_fewshot") && !body["num_fewshot"].is_null())
    job->num_fewshot = static_cast<int>(whole_number(body, "num_fewshot", 0, 64));
  if (body.contains("apply_chat_template")) {
    if (!body["apply_chat_template"].is_boolean())
      fail(Errc::invalid_argument, field_error("apply_chat_template", "expected true or false"));
    job->apply_chat_template = body["apply_chat_template"].get<bool>();
  }
  if (body.contains("concurrency")) job->concurrency = static_cast<int>(whole_number(body, "concurrency", 1, 16));
  job->created = now_seconds();
  std::lock_guard lk(mu_);
  if (queue_.size() >= opts_.max_queued)
    fail(Errc::overloaded, std::to_string(queue_.size()) + " evaluation runs are already waiting; cancel one or try later");
  job->id = "job-" + std::to_string(next_id_++);
  jobs_.push_back(job);
  queue_.push_back(job);
  // Forget the oldest finished jobs past the limit (their runs stay on disk).
  while (jobs_.size() > opts_.max_kept + opts_.max_queued + 1) {
    auto it = std::find_if(jobs_.begin(), jobs_.end(), [](const auto& j) {
      return j->state == "finished" || j->state == "failed" || j->state == "cancelled";
    });
    if (it == jobs_.end()) break;
    jobs_.erase(it);
  }
  cv_.notify_all();
  return view(*job);
}

ordered_json EvalJobs::view(const Job& j) const {
  ordered_json o = {{"id", j.id}, {"tasks", j.tasks}, {"model", j.model},
                    {"limit", j.limit < 0 ? json(nullptr) : json(j.limit)}, {"state", j.state}, {"phase", j.phase},
                    {"done", j.done}, {"total", j.total}, {"created", j.created}};
  if (j.started > 0) o["started"] = j.started;
  if (j.ended > 0) o["ended"] = j.ended;
  if (!j.error.empty()) o["error"] = j.error;
  if (!j.run.empty()) o["run"] = j.run;
  return o;
}

ordered_json EvalJobs::list() const {
  std::lock_guard lk(mu_);
  ordered_json out = ordered_json::array();
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) out.push_back(view(**it));  // newest first
  return out;
}

std::optional<ordered_json> EvalJobs::get(const std::string& id) const {
  std::lock_guard lk(mu_);
  for (const auto& j : jobs_)
    if (j->id == id) return view(*j);
  return std::nullopt;
}

std::optional<ordered_json> EvalJobs::cancel(const std::string& id) {
  std::lock_guard lk(mu_);
  for (const auto& j : jobs_) {
    if (j->id != id) continue;
    j->cancel = true;
    if (j->state == "queued") {
      // Never started: done now.
      queue_.erase(std::remove(queue_.begin(), queue_.end(), j), queue_.end());
      j->state = "cancelled";
      j->ended = now_seconds();
    } else if (j->state == "running") {
      j->state = "cancelling";
    }
    return view(*j);
  }
  return std::nullopt;
}

void EvalJobs::worker() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
      job->state = "running";
      job->phase = "planning";
      job->started = now_seconds();
    }
    run(*job);
  }
}

void EvalJobs::run(Job& job) {
  eval::RunOptions o;
  o.tasks = job.tasks;
  o.model = job.model;
  o.limit = job.limit;
  o.num_fewshot = job.num_fewshot;
  o.apply_chat_template = job.apply_chat_template;
  o.output_dir = opts_.runs_dir.string();
  o.log_samples = true;  // the page's sample viewer reads them
  o.cache_path = opts_.cache_path;
  o.progress = false;
  o.env.eval_data = opts_.eval_data;
  o.cancel = &job.cancel;
  o.on_progress = [this, &job](const std::string& phase, int64_t done, int64_t total) {
    std::lock_guard lk(mu_);
    job.phase = phase;
    if (phase == "answering") {
      job.done = done;
      job.total = total;
    }
  };
  std::string state = "finished", error, run;
  try {
    eval::RemoteBackend backend(provider_, job.model, job.concurrency);
    const eval::RunOutput out = eval::run_eval(o, &backend);
    run = out.dir.filename().string();
  } catch (const Error& e) {
    state = e.code() == Errc::cancelled ? "cancelled" : "failed";
    if (e.code() != Errc::cancelled) error = e.what();
  } catch (const std::exception& e) {
    state = "failed";
    error = e.what();
  }
  if (state == "failed") log::warn("eval job " + job.id + " failed: " + error);
  std::lock_guard lk(mu_);
  job.state = state;
  job.error = error;
  job.run = run;
  job.phase.clear();
  job.ended = now_seconds();
}

}  // namespace hearth::app
