// `hearth eval`: run evaluation tasks against a local model or any routed endpoint, list the
// built-in tasks, compare finished runs side by side, and write an HTML report with charts.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "cli/command.h"
#include "cli/env_options.h"
#include "cli/gpu_flags.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/paths.h"
#include "eval/report.h"
#include "eval/run_store.h"
#include "eval/slurm.h"
#include "eval/runner.h"
#include "eval/task.h"

namespace hearth::cli {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

// A run is its directory or its results.json.
ordered_json load_run(const std::string& arg) { return eval::load_run_results(arg); }

std::string fmt(const ordered_json& v) {
  if (!v.is_number()) return v.is_string() ? v.get<std::string>() : "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v.get<double>());
  return b;
}

struct RunArgs {
  std::string tasks, model, config, output, data_dir, judge, cache, shard;
  std::vector<std::string> include_paths;
  // --slurm: run as a job array of `shards` elements from `slurm_dir`.
  bool slurm = false, slurm_dry_run = false;
  int shards = 2;
  std::string partition, time, slurm_dir;
  int64_t limit = -1;
  int num_fewshot = -1, concurrency = 1, threads = 0;
  int64_t ctx = 0;
  bool chat = false, log_samples = false, json_out = false, no_cache = false, no_prefix_reuse = false;
  GpuFlags gpu;
};

int print_run(const eval::RunOutput& out, bool json_out);

// The `eval run` arguments a Slurm array element repeats (everything but where results, the
// cache and the shard go).
std::vector<std::string> element_args(const RunArgs& a) {
  std::vector<std::string> v = {"--task", a.tasks, "--model", a.model};
  auto add = [&](const char* flag, const std::string& val) {
    if (!val.empty()) v.insert(v.end(), {flag, val});
  };
  add("--config", a.config.empty() ? "" : std::filesystem::absolute(a.config).string());
  add("--data-dir", a.data_dir.empty() ? "" : std::filesystem::absolute(a.data_dir).string());
  add("--judge", a.judge);
  if (a.limit >= 0) add("--limit", std::to_string(a.limit));
  if (a.num_fewshot >= 0) add("--num-fewshot", std::to_string(a.num_fewshot));
  if (a.concurrency != 1) add("--concurrency", std::to_string(a.concurrency));
  if (a.threads > 0) add("--threads", std::to_string(a.threads));
  if (a.ctx > 0) add("--ctx", std::to_string(a.ctx));
  add("--gpu-layers", a.gpu.layers);
  if (a.gpu.device >= 0) add("--device", std::to_string(a.gpu.device));
  if (a.chat) v.push_back("--apply-chat-template");
  if (a.log_samples) v.push_back("--log-samples");
  if (a.no_prefix_reuse) v.push_back("--no-prefix-reuse");
  for (const auto& p : a.include_paths) add("--include-path", std::filesystem::absolute(p).string());
  // Task files by absolute path: elements may start in another directory.
  std::string tasks;
  for (const auto& t : split_commas(a.tasks)) tasks += (tasks.empty() ? "" : ",") + eval::absolute_task_spec(t);
  v[1] = tasks;
  return v;
}

int do_slurm(const RunArgs& a) {
  if (!a.shard.empty()) fail(Errc::invalid_argument, "--slurm makes the shards itself; drop --shard");
  if (a.no_cache || !a.cache.empty()) fail(Errc::invalid_argument, "--slurm gives each shard its own cache in --slurm-dir");
  eval::SlurmOptions so;
  so.shards = a.shards;
  so.partition = a.partition;
  so.time = a.time;
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) fail(Errc::io, "cannot find the hearth binary (/proc/self/exe)");
  so.hearth = std::string(self, static_cast<size_t>(n));
  so.run_args = element_args(a);
  if (!a.slurm_dir.empty()) so.work_dir = a.slurm_dir;
  else so.work_dir = hearth_dir("eval") / "slurm" / utc_now_text("%Y-%m-%dT%H-%M-%S");
  if (a.slurm_dry_run) {
    std::printf("%s", eval::slurm_batch_script(so).c_str());
    return kExitOk;
  }
  return print_run(eval::run_on_slurm(so, a.output, true), a.json_out);
}

int do_run(const RunArgs& a) {
  if (a.slurm || a.slurm_dry_run) return do_slurm(a);
  eval::RunOptions o;
  o.tasks = split_commas(a.tasks);
  if (o.tasks.empty()) fail(Errc::invalid_argument, "--task needs at least one task name or YAML path");
  o.model = a.model;
  o.limit = a.limit;
  if (a.num_fewshot >= 0) o.num_fewshot = a.num_fewshot;
  o.apply_chat_template = a.chat;
  o.output_dir = a.output;
  o.log_samples = a.log_samples;
  o.use_cache = !a.no_cache;
  o.cache_path = a.cache;
  o.judge_model = a.judge;
  o.backend.concurrency = a.concurrency;
  o.backend.n_threads = a.threads;
  o.backend.n_ctx = a.ctx;
  o.backend.prefix_reuse = !a.no_prefix_reuse;
  o.backend.router_config = a.config;
  o.backend.load = load_options_from_env();
  apply_gpu_flags(a.gpu, o.backend.load);
  o.env.judge_model = a.judge;
  for (const auto& p : a.include_paths) o.env.include_paths.push_back(p);
  if (!a.data_dir.empty()) o.env.eval_data = a.data_dir;
  else if (const char* d = std::getenv("HEARTH_EVAL_DATA")) o.env.eval_data = d;
  if (!a.shard.empty()) {
    // I/N, 0-based like SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX.
    int i = -1, n = 0;
    char extra = 0;
    if (std::sscanf(a.shard.c_str(), "%d/%d%c", &i, &n, &extra) != 2 || n < 1 || i < 0 || i >= n)
      fail(Errc::invalid_argument, "--shard '" + a.shard + "': expected I/N with 0 <= I < N (e.g. 0/4)");
    o.shard_index = i;
    o.shard_count = n;
  }
  return print_run(eval::run_eval(o), a.json_out);
}

int print_run(const eval::RunOutput& out, bool json_out) {
  if (json_out) {
    ordered_json j = out.results;
    j.erase("configs");
    j["run_dir"] = out.dir.string();
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-32s %-10s %-28s %12s %10s\n", "task", "filter", "metric", "value", "stderr");
  std::vector<std::pair<std::string, ordered_json>> rows;
  for (auto& [task, res] : out.results["results"].items()) rows.emplace_back(task, res);
  if (out.results.contains("groups"))  // groups (mmlu) after their members, aggregated
    for (auto& [g, res] : out.results["groups"].items()) rows.emplace_back(g, res);
  for (auto& [task, res] : rows) {
    for (auto& [k, v] : res.items()) {
      size_t comma = k.find(',');
      if (comma == std::string::npos || k.find("_stderr") != std::string::npos) continue;
      std::string metric = k.substr(0, comma), filter = k.substr(comma + 1);
      std::string se_key = metric + "_stderr," + filter;
      std::printf("%-32s %-10s %-28s %12s %10s\n", task.c_str(), filter.c_str(), metric.c_str(), fmt(v).c_str(),
                  res.contains(se_key) ? fmt(res[se_key]).c_str() : "-");
    }
  }
  // Safety packs: by category and by expected behaviour (comply rows show over-refusal).
  if (out.results.contains("safety"))
    for (auto& [task, sf] : out.results["safety"].items()) {
      std::printf("%s, refusals decided by %s:\n", task.c_str(), sf.value("decided_by", "keywords").c_str());
      for (const char* part : {"expected", "categories"})
        for (auto& [name, cell] : sf[part].items()) {
          std::string line = "  " + std::string(part[0] == 'e' ? "expected " : "") + name + " (" + std::to_string(cell["n"].get<int>()) + ")";
          for (auto& [m, v] : cell.items())
            if (m != "n") line += "  " + m + " " + fmt(v);
          std::printf("%s\n", line.c_str());
        }
      if (sf.contains("keywords_agree_with_judge"))
        std::printf("  keyword heuristic agrees with the judge on %s of items\n", fmt(sf["keywords_agree_with_judge"]).c_str());
    }
  std::printf("requests: %lld (%lld from the cache)\n", static_cast<long long>(out.requests),
              static_cast<long long>(out.cached));
  if (!out.dir.empty()) std::printf("results: %s\n", (out.dir / "results.json").string().c_str());
  return kExitOk;
}

struct MergeArgs {
  std::vector<std::string> shards;
  std::string output;
  bool json_out = false;
};

int do_merge(const MergeArgs& a) {
  std::vector<std::filesystem::path> dirs(a.shards.begin(), a.shards.end());
  return print_run(eval::merge_shards(dirs, a.output, true), a.json_out);
}

int do_list(bool json_out) {
  auto tasks = eval::list_builtin_tasks();
  if (json_out) {
    json arr = json::array();
    for (const auto& t : tasks) arr.push_back({{"name", t.name}, {"description", t.description}, {"group", t.is_group}});
    std::printf("%s\n", arr.dump(2).c_str());
    return kExitOk;
  }
  for (const auto& t : tasks)
    std::printf("%-28s %s%s\n", t.name.c_str(), t.is_group ? "[group] " : "", t.description.c_str());
  return kExitOk;
}

int do_show(const std::string& name, bool json_out) {
  const std::string yaml = eval::builtin_task_yaml(name);
  if (json_out)
    std::printf("%s\n", json({{"name", name}, {"yaml", yaml}}).dump(2).c_str());
  else
    std::printf("%s%s", yaml.c_str(), !yaml.empty() && yaml.back() == '\n' ? "" : "\n");
  return kExitOk;
}

// "acc,none" -> "acc_stderr,none": where the harness layout keeps a metric's standard error.
std::string stderr_key(const std::string& k) {
  const size_t comma = k.find(',');
  if (comma == std::string::npos) return k + "_stderr";  // a safety breakdown's plain metric name
  return k.substr(0, comma) + "_stderr" + k.substr(comma);
}

int do_compare(const std::vector<std::string>& runs, bool json_out) {
  if (runs.empty()) fail(Errc::invalid_argument, "compare needs at least one run directory");
  std::vector<ordered_json> docs;
  for (const auto& r : runs) docs.push_back(load_run(r));
  // Rows: group aggregates first (mmlu), then tasks, each metric present in any run; columns: runs.
  // Safety packs add their breakdown (results.json's "safety": by expected behaviour, then by
  // category) after the tasks: part is "expected" or "categories", name the cell's label.
  struct Row {
    std::string section, task, key, part, name;
  };
  std::vector<Row> rows;
  std::set<std::string> seen;
  for (const char* section : {"groups", "results"})
    for (const auto& d : docs) {
      if (!d.contains(section) || !d[section].is_object()) continue;
      for (auto& [task, res] : d[section].items())
        for (auto& [k, v] : res.items())
          if (k.find(',') != std::string::npos && k.find("_stderr") == std::string::npos &&
              seen.insert(std::string(section) + "\x1f" + task + "\x1f" + k).second)
            rows.push_back({section, task, k, "", ""});
    }
  for (const auto& d : docs) {
    if (!d.contains("safety") || !d["safety"].is_object()) continue;
    for (auto& [task, sf] : d["safety"].items())
      for (const char* part : {"expected", "categories"}) {
        if (!sf.is_object() || !sf.contains(part) || !sf[part].is_object()) continue;
        for (auto& [name, cellv] : sf[part].items())
          if (cellv.is_object())
            for (auto& [metric, v] : cellv.items())
              if (metric != "n" && seen.insert("safety\x1f" + task + "\x1f" + part + "\x1f" + name + "\x1f" + metric).second)
                rows.push_back({"safety", task, metric, part, name});
      }
  }
  auto cell = [&](const ordered_json& d, const Row& r, const std::string& key) -> const ordered_json* {
    if (!d.contains(r.section)) return nullptr;
    const ordered_json* res = &d[r.section];
    if (!res->contains(r.task)) return nullptr;
    res = &(*res)[r.task];
    if (r.section == "safety") {
      if (!res->contains(r.part) || !(*res)[r.part].contains(r.name)) return nullptr;
      res = &(*res)[r.part][r.name];
    }
    if (!res->is_object() || !res->contains(key)) return nullptr;
    return &(*res)[key];
  };
  if (json_out) {
    json out = json::object();
    json cols = json::array();
    for (size_t i = 0; i < docs.size(); ++i) cols.push_back({{"run", runs[i]}, {"model", docs[i]["config"].value("model", "")}});
    out["runs"] = cols;
    json table = json::array();
    for (const auto& r : rows) {
      json vals = json::array(), errs = json::array();
      for (auto& d : docs) {
        const ordered_json* v = cell(d, r, r.key);
        const ordered_json* e = cell(d, r, stderr_key(r.key));
        vals.push_back(v ? json(*v) : json(nullptr));
        errs.push_back(e && e->is_number() ? json(*e) : json(nullptr));
      }
      json row = {{"task", r.task}, {"group", r.section == std::string("groups")}, {"metric", r.key},
                  {"values", vals}, {"stderrs", errs}};
      if (r.section == "safety") {
        json ns = json::array();
        for (auto& d : docs) {
          const ordered_json* n = cell(d, r, "n");
          ns.push_back(n ? json(*n) : json(nullptr));
        }
        row["safety"] = {{"part", r.part}, {"name", r.name}, {"n", ns}};
      }
      table.push_back(row);
    }
    out["rows"] = table;
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-36s %-24s", "task", "metric");
  for (const auto& d : docs) {
    std::string m = d["config"].value("model", "?");
    if (m.size() > 22) m = "..." + m.substr(m.size() - 19);
    std::printf(" %22s", m.c_str());
  }
  std::printf("\n");
  for (const auto& r : rows) {
    std::string name = r.section == std::string("groups") ? r.task + " (group)" : r.task;
    if (r.section == "safety") name = r.task + (r.part == "expected" ? " [expected " : " [") + r.name + "]";
    std::printf("%-36s %-24s", name.c_str(), r.key.c_str());
    for (auto& d : docs) {
      const ordered_json* v = cell(d, r, r.key);
      const ordered_json* e = cell(d, r, stderr_key(r.key));
      std::string text = v ? fmt(*v) : "-";
      if (v && e && e->is_number()) text += " ± " + fmt(*e);
      std::printf(" %22s", text.c_str());
    }
    std::printf("\n");
  }
  return kExitOk;
}

struct ReportArgs {
  std::vector<std::string> runs;
  std::string output = "report.html", title;
  bool json_out = false;
  size_t samples = 20;  // logged samples per task embedded for the viewer
};

int do_report(const ReportArgs& a) {
  std::vector<ordered_json> views;
  std::set<std::string> ids;
  for (const auto& r : a.runs) {
    ordered_json doc = load_run(r);  // errors first: they name the argument as given
    // The id is the run's folder name, as in `hearth serve`'s /api/hearth/eval/runs.
    fs::path dir = fs::absolute(r).lexically_normal();
    if (dir.filename().empty()) dir = dir.parent_path();
    if (!fs::is_directory(dir)) dir = dir.parent_path();
    const std::string base = dir.filename().empty() ? "run" : dir.filename().string();
    std::string id = base;
    for (int n = 2; !ids.insert(id).second; ++n) id = base + "#" + std::to_string(n);
    views.push_back(eval::chart_view(doc, id));
    // The first samples of every task that logged some, for the report's sample viewer.
    if (a.samples > 0)
      for (const auto& task : eval::sample_tasks(dir)) views.back()["samples"][task] = eval::read_samples(dir, task, 0, a.samples);
  }
  std::string title = a.title;
  if (title.empty()) {
    title = "hearth eval report: ";
    for (size_t i = 0; i < views.size(); ++i) {
      const auto& c = views[i]["config"];
      title += (i ? ", " : "") + (c.is_object() && c.contains("model") && c["model"].is_string()
                                     ? fs::path(c["model"].get<std::string>()).filename().string()
                                     : views[i]["id"].get<std::string>());
    }
  }
  const std::string html = eval::render_report_html(views, title);
  std::ofstream f(a.output, std::ios::binary | std::ios::trunc);
  if (f) f << html;
  if (!f || !f.flush()) fail(Errc::io, a.output + ": cannot write the report");
  if (a.json_out) {
    json j = {{"output", a.output}, {"bytes", html.size()}, {"runs", json::array()}};
    for (const auto& v : views) j["runs"].push_back(v["id"].get<std::string>());
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("report: %s (%zu run%s, %zu bytes)\n", a.output.c_str(), views.size(), views.size() == 1 ? "" : "s",
                html.size());
  }
  return kExitOk;
}

}  // namespace

Command eval_command() {
  return {"eval", "Evaluate models on benchmark and custom tasks (run, merge, list, show, compare, report)", [](CLI::App& app) {
    app.require_subcommand(1);
    auto ra = std::make_shared<RunArgs>();
    auto* run = app.add_subcommand("run", "Run tasks against a model");
    run->add_option("--task,-t", ra->tasks, "Tasks: built-in names, group names or YAML paths, comma-separated")->required();
    run->add_option("--model,-m", ra->model, "local:FILE.gguf or provider:model (routed)")->required();
    run->add_option("--config", ra->config, "Router config for provider:model (default $HEARTH_HOME/router.yaml)");
    run->add_option("--limit", ra->limit, "Documents per task (default all)");
    run->add_option("--num-fewshot", ra->num_fewshot, "Override the tasks' number of few-shot examples");
    run->add_flag("--apply-chat-template", ra->chat, "Wrap generation prompts in the model's chat template");
    run->add_option("--output,-o", ra->output, "Results folder (default $HEARTH_HOME/eval/runs)");
    run->add_option("--concurrency", ra->concurrency, "Parallel requests to a remote endpoint")->check(CLI::Range(1, 256));
    run->add_option("--threads", ra->threads, "Local engine threads (default all cores)");
    run->add_option("--ctx", ra->ctx, "Local engine context length (default the model's)");
    add_gpu_flags(*run, ra->gpu);
    run->add_option("--data-dir", ra->data_dir, "Folder of the built-in tasks' data (else $HEARTH_EVAL_DATA)");
    run->add_option("--include-path", ra->include_paths,
                    "Folder of task YAML files (searched recursively) whose task, group and tag names --task may use (repeatable)");
    run->add_option("--judge", ra->judge, "Judge model for llm_judge metrics (local:FILE or provider:model)");
    run->add_option("--cache", ra->cache, "Request cache file (default $HEARTH_HOME/eval/cache.sqlite)");
    run->add_flag("--no-cache", ra->no_cache, "Do not read or write the request cache");
    run->add_flag("--no-prefix-reuse", ra->no_prefix_reuse, "Local: recompute shared prefixes (for benchmarking)");
    run->add_flag("--log-samples", ra->log_samples, "Write per-sample logs (samples_TASK.jsonl)");
    run->add_option("--shard", ra->shard, "Run shard I of N (0-based): documents whose index mod N is I; merge with `eval merge`");
    run->add_flag("--slurm", ra->slurm, "Run as a Slurm job array of --shards elements, wait, and merge");
    run->add_option("--shards", ra->shards, "--slurm: number of shards (array elements)")->check(CLI::Range(1, 10000));
    run->add_option("--partition", ra->partition, "--slurm: partition (default the cluster's)");
    run->add_option("--time", ra->time, "--slurm: time limit of each element (sbatch --time)");
    run->add_option("--slurm-dir", ra->slurm_dir, "--slurm: folder for the script, logs and shards, on a file system every node sees (default $HEARTH_HOME/eval/slurm/TIME)");
    run->add_flag("--slurm-dry-run", ra->slurm_dry_run, "Print the sbatch script and exit");
    run->add_flag("--json", ra->json_out, "Print the results JSON");
    auto ma = std::make_shared<MergeArgs>();
    auto* merge = app.add_subcommand("merge", "Assemble the shards of a --shard run into the run one machine would have made");
    merge->add_option("shards", ma->shards, "The shards' run folders (all N of them)")->required();
    merge->add_option("--output,-o", ma->output, "Results folder (default $HEARTH_HOME/eval/runs)");
    merge->add_flag("--json", ma->json_out, "Print the results JSON");
    auto list_json = std::make_shared<bool>(false);
    auto* list = app.add_subcommand("list", "List built-in tasks");
    list->add_flag("--json", *list_json, "Machine-readable output");
    auto show_name = std::make_shared<std::string>();
    auto show_json = std::make_shared<bool>(false);
    auto* show = app.add_subcommand("show", "Print a built-in task's YAML (the starting point of a custom task)");
    show->add_option("task", *show_name, "Task name, as `hearth eval list` shows it")->required();
    show->add_flag("--json", *show_json, "Machine-readable output");
    auto runs = std::make_shared<std::vector<std::string>>();
    auto cmp_json = std::make_shared<bool>(false);
    auto* cmp = app.add_subcommand("compare", "Compare finished runs in one table");
    cmp->add_option("runs", *runs, "Run directories or results.json files")->required();
    cmp->add_flag("--json", *cmp_json, "Machine-readable output");
    auto rep = std::make_shared<ReportArgs>();
    auto* report = app.add_subcommand("report", "Write one self-contained HTML file with charts and a table of finished runs");
    report->add_option("runs", rep->runs, "Run directories or results.json files (several: side by side)")->required();
    report->add_option("--output,-o", rep->output, "HTML file to write")->capture_default_str();
    report->add_option("--title", rep->title, "Page title (default: the runs' models)");
    report->add_flag("--json", rep->json_out, "Print what was written as JSON");
    report->add_option("--samples", rep->samples,
                       "Logged samples per task to embed for the sample viewer (0: none)")->capture_default_str();
    return [=, &app]() {
      return run_guarded([&]() {
        if (run->parsed()) return do_run(*ra);
        if (merge->parsed()) return do_merge(*ma);
        if (list->parsed()) return do_list(*list_json);
        if (show->parsed()) return do_show(*show_name, *show_json);
        if (cmp->parsed()) return do_compare(*runs, *cmp_json);
        if (report->parsed()) return do_report(*rep);
        print_error("eval: choose run, merge, list, show, compare or report");
        return kExitUsage;
      });
    };
  }};
}

}  // namespace hearth::cli
