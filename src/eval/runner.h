// `hearth eval run`: resolves tasks, builds every request (few-shot contexts included), answers
// them from the cache or the backend, filters and scores, and writes results in the
// lm-evaluation-harness layout.
#pragma once
#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "eval/backend.h"
#include "eval/task.h"

namespace hearth::eval {

struct RunOptions {
  std::vector<std::string> tasks;  // built-in names, group names or YAML paths
  std::string model;               // local:FILE or provider:model
  int64_t limit = -1;              // documents per task; < 0: all
  std::optional<int> num_fewshot;  // overrides the tasks' num_fewshot
  bool apply_chat_template = false;
  std::string output_dir;          // empty: $HEARTH_HOME/eval/runs
  bool write_output = true;
  bool log_samples = false;
  std::string cache_path;          // empty: $HEARTH_HOME/eval/cache.sqlite
  bool use_cache = true;
  std::string judge_model;         // default judge for llm_judge metrics
  BackendOptions backend;
  TaskEnv env;
  bool progress = true;  // bars on stderr
  // Progress for a caller that shows its own (the web UI's runs): the phase ("planning",
  // "answering", "scoring", "writing") and, while answering, requests done of those to send.
  // Called from the run's threads, one call at a time.
  std::function<void(const std::string& phase, int64_t done, int64_t total)> on_progress;
  // Set by another thread to stop the run: it throws Error(cancelled) once the requests in
  // flight finish (their answers stay in the cache, so running it again resumes) and writes nothing.
  const std::atomic<bool>* cancel = nullptr;
  int bootstrap_iters = 1000;
  // --shard I/N: this run answers and scores documents whose index mod N is I (every document is
  // still planned, so few-shot draws match the whole run's), and writes its answers to
  // answers.jsonl so merge_shards can assemble the whole run.
  int shard_index = 0, shard_count = 1;
};

struct RunOutput {
  ordered_json results;        // the results.json document
  std::filesystem::path dir;   // where it was written (empty when not written)
  int64_t requests = 0, cached = 0;  // requests answered, of which from the cache
};

// `backend` may be supplied (tests, bench); otherwise it is made from opts.model.
RunOutput run_eval(const RunOptions& opts, Backend* backend = nullptr);

// `hearth eval merge`: the runs of shards 0..N-1 of one sharded run (their folders) become the
// run a single machine would have made: the same options are run again with every request
// answered from the shards' answers.jsonl, so metrics and samples are those of an unsharded run.
// Throws Error naming the folder when shards are missing, repeated or from different runs.
RunOutput merge_shards(const std::vector<std::filesystem::path>& shard_runs, const std::string& output_dir,
                       bool progress);

}  // namespace hearth::eval
