// Finished evaluation runs on disk (a folder holding results.json in lm-evaluation-harness's
// layout): loading one, listing a folder of them, and the compact view that the HTML report and
// the web UI's charts read. Shared by `hearth eval compare|report` and `hearth serve`.
#pragma once
#include <filesystem>
#include <string>
#include <vector>
#include <string_view>

#include "core/json.h"

namespace hearth::eval {

// A run is its directory or its results.json. Throws Error(not_found) when there is no results
// file and Error(format) when it is not a results document, naming the path either way.
ordered_json load_run_results(const std::filesystem::path& dir_or_file);

// What the charts need from a results document: everything but the task configs (large, and
// prompt templates are not chart material), plus the run's id.
ordered_json chart_view(const ordered_json& results, const std::string& id);

// Every run directly under `runs_dir`, newest first: {id, model, date, tasks, metrics}, where
// metrics holds the first metric of each top-level task and group. A run that cannot be read is
// listed with an "error" message instead of failing the listing. A missing folder has no runs.
ordered_json list_runs(const std::filesystem::path& runs_dir);

// The tasks a run logged samples for (--log-samples: samples_<task>.jsonl in its folder), sorted.
std::vector<std::string> sample_tasks(const std::filesystem::path& run_dir);

// One page of a task's logged samples: {task, total, offset, samples}, each sample as the
// viewer shows it: doc_id, prompt (the first request's context; loglikelihood requests add
// "choices", their continuations), target, responses, filtered (what was scored), filter, and
// scores (every numeric per-sample metric). Throws Error(not_found) when the task logged none.
ordered_json read_samples(const std::filesystem::path& run_dir, const std::string& task, size_t offset, size_t limit);

// Run ids are folder names directly under the runs folder: one path component (no slash,
// backslash or control character, not "." or ".."), so an id can never reach outside that folder.
bool valid_run_id(std::string_view id);

}  // namespace hearth::eval
