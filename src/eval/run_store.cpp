#include "eval/run_store.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace hearth::eval {
namespace fs = std::filesystem;

ordered_json load_run_results(const fs::path& dir_or_file) {
  fs::path p = dir_or_file;
  std::error_code ec;
  if (fs::is_directory(p, ec)) p /= "results.json";
  std::ifstream f(p, std::ios::binary);
  if (!f) fail(Errc::not_found, p.string() + ": no such run (pass a run directory or its results.json)");
  std::stringstream ss;
  ss << f.rdbuf();
  ordered_json doc;
  try {
    doc = ordered_json::parse(ss.str());
  } catch (const std::exception& e) {
    fail(Errc::format, p.string() + ": not a results file: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("results") || !doc["results"].is_object())
    fail(Errc::format, p.string() + ": not a results file: no \"results\" object");
  for (auto& [task, res] : doc["results"].items())
    if (!res.is_object()) fail(Errc::format, p.string() + ": not a results file: results." + task + " is not an object");
  return doc;
}

namespace {

constexpr std::string_view kSamplesPrefix = "samples_";

// samples_<task>.jsonl, not the timestamped copies (samples_<task>_<date>.jsonl, same bytes).
bool plain_samples_file(const std::string& f, std::string* task) {
  if (f.size() <= kSamplesPrefix.size() + 6 || f.compare(0, kSamplesPrefix.size(), kSamplesPrefix) != 0 ||
      f.compare(f.size() - 6, 6, ".jsonl") != 0)
    return false;
  std::string t = f.substr(kSamplesPrefix.size(), f.size() - kSamplesPrefix.size() - 6);
  // A timestamped copy ends in _YYYY-MM-DDTHH-MM-SS.ffffff.
  const size_t us = t.rfind('_');
  if (us != std::string::npos && t.size() - us == 27 && t[us + 5] == '-' && t[us + 11] == 'T') return false;
  *task = std::move(t);
  return true;
}

ordered_json sample_view(const ordered_json& s) {
  static const std::set<std::string> known = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps",
                                              "filter", "doc_hash", "prompt_hash", "target_hash", "metrics"};
  ordered_json v = {{"doc_id", s.value("doc_id", ordered_json(nullptr))}};
  if (s.contains("arguments") && s["arguments"].is_array() && !s["arguments"].empty()) {
    const auto& args = s["arguments"];
    const auto& first = args[0];
    if (first.is_array() && !first.empty() && first[0].is_string()) v["prompt"] = first[0];
    // Loglikelihood requests: [context, continuation] per choice.
    ordered_json choices = ordered_json::array();
    for (const auto& a : args)
      if (a.is_array() && a.size() >= 2 && a[1].is_string()) choices.push_back(a[1]);
    if (!choices.empty()) v["choices"] = choices;
  }
  if (s.contains("target")) v["target"] = s["target"];
  if (s.contains("resps")) v["responses"] = s["resps"];
  if (s.contains("filtered_resps")) v["filtered"] = s["filtered_resps"];
  if (s.contains("filter")) v["filter"] = s["filter"];
  ordered_json scores = ordered_json::object();
  for (auto& [k, val] : s.items())
    if (!known.count(k) && val.is_number()) scores[k] = val;
  v["scores"] = scores;
  return v;
}

}  // namespace

std::vector<std::string> sample_tasks(const std::filesystem::path& run_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(run_dir, ec)) {
    std::string task;
    if (e.is_regular_file(ec) && plain_samples_file(e.path().filename().string(), &task)) out.push_back(task);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ordered_json read_samples(const std::filesystem::path& run_dir, const std::string& task, size_t offset, size_t limit) {
  std::string probe;
  const std::filesystem::path file = run_dir / (std::string(kSamplesPrefix) + task + ".jsonl");
  std::ifstream in;
  if (plain_samples_file(file.filename().string(), &probe) && probe == task) in.open(file, std::ios::binary);
  if (!in) {  // say which tasks do have samples
    std::string have;
    for (const auto& t : sample_tasks(run_dir)) have += (have.empty() ? "" : ", ") + t;
    fail(Errc::not_found, "run " + run_dir.filename().string() + " logged no samples for task \"" + task +
                              "\" (it has: " + (have.empty() ? std::string("none; run with --log-samples") : have) + ")");
  }
  ordered_json page = ordered_json::array();
  size_t total = 0;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    if (total >= offset && page.size() < limit) {
      ordered_json s;
      try {
        s = ordered_json::parse(line);
      } catch (const std::exception& e) {
        fail(Errc::format, file.string() + ":" + std::to_string(n) + ": not JSON: " + e.what());
      }
      if (!s.is_object()) fail(Errc::format, file.string() + ":" + std::to_string(n) + ": a sample must be an object");
      page.push_back(sample_view(s));
    }
    ++total;
  }
  return {{"task", task}, {"total", total}, {"offset", offset}, {"samples", page}};
}

ordered_json chart_view(const ordered_json& results, const std::string& id) {
  ordered_json v = {{"id", id}};
  for (auto& [k, val] : results.items())
    if (k != "configs") v[k] = val;
  return v;
}

namespace {

// The first "metric,filter" value of a task's results, with its stderr when there is one.
ordered_json main_metric(const std::string& task, const ordered_json& res) {
  for (auto& [k, v] : res.items()) {
    const size_t comma = k.find(',');
    if (comma == std::string::npos || k.find("_stderr,") != std::string::npos || !v.is_number()) continue;
    ordered_json m = {{"task", task}, {"metric", k}, {"value", v}};
    const std::string se = k.substr(0, comma) + "_stderr" + k.substr(comma);
    if (res.contains(se) && res[se].is_number()) m["stderr"] = res[se];
    return m;
  }
  return nullptr;
}

ordered_json summarize(const std::string& id, const ordered_json& doc) {
  ordered_json s = {{"id", id}};
  const auto& cfg = doc.contains("config") && doc["config"].is_object() ? doc["config"] : ordered_json::object();
  s["model"] = cfg.contains("model") ? cfg["model"] : ordered_json("");
  s["date"] = doc.contains("date") ? doc["date"] : ordered_json(nullptr);
  std::set<std::string> members;  // subtasks of a group are summarized by the group
  if (doc.contains("group_subtasks") && doc["group_subtasks"].is_object())
    for (auto& [g, list] : doc["group_subtasks"].items())
      if (list.is_array())
        for (const auto& t : list)
          if (t.is_string()) members.insert(t.get<std::string>());
  ordered_json tasks = ordered_json::array(), metrics = ordered_json::array();
  auto add = [&](const std::string& task, const ordered_json& res) {
    tasks.push_back(task);
    if (auto m = main_metric(task, res); !m.is_null()) metrics.push_back(std::move(m));
  };
  for (auto& [task, res] : doc["results"].items())
    if (!members.count(task)) add(task, res);
  if (doc.contains("groups") && doc["groups"].is_object())
    for (auto& [g, res] : doc["groups"].items())
      if (res.is_object()) add(g, res);
  s["tasks"] = tasks;
  s["metrics"] = metrics;
  return s;
}

}  // namespace

ordered_json list_runs(const fs::path& runs_dir) {
  ordered_json out = ordered_json::array();
  std::error_code ec;
  if (!fs::is_directory(runs_dir, ec)) return out;
  std::vector<std::pair<std::string, fs::path>> dirs;
  for (fs::directory_iterator it(runs_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec) && fs::exists(it->path() / "results.json", ec))
      dirs.emplace_back(it->path().filename().string(), it->path());
  if (ec) fail(Errc::io, runs_dir.string() + ": cannot list: " + ec.message());
  std::vector<std::pair<double, ordered_json>> rows;
  for (const auto& [id, dir] : dirs) {
    try {
      ordered_json s = summarize(id, load_run_results(dir));
      rows.emplace_back(s["date"].is_number() ? s["date"].get<double>() : 0.0, std::move(s));
    } catch (const Error& e) {
      rows.emplace_back(0.0, ordered_json{{"id", id}, {"error", e.what()}});
    }
  }
  // Newest first; run folder names start with their time, so they break ties in the same order.
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second["id"].template get<std::string>() > b.second["id"].template get<std::string>();
  });
  for (auto& r : rows) out.push_back(std::move(r.second));
  return out;
}

bool valid_run_id(std::string_view id) {
  if (id.empty() || id.size() > 255 || id == "." || id == "..") return false;
  for (char c : id)
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace hearth::eval
