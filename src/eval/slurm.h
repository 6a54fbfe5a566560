// `hearth eval run --slurm`: one evaluation as a Slurm job array, each element one shard
// (`--shard I/N`), then the shards merged into the run one machine would have made. The batch
// script is plain and printable (--slurm-dry-run), so it can also be edited and submitted by hand.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "eval/runner.h"

namespace hearth::eval {

struct SlurmOptions {
  int shards = 2;
  std::string partition;  // empty: the cluster's default
  std::string time;       // --time for each element; empty: the partition's default
  std::filesystem::path work_dir;        // script, logs, shard runs, per-shard caches
  std::string hearth;                    // the hearth binary every element runs
  std::vector<std::string> run_args;     // `hearth eval run` arguments, without --shard/-o/--cache
};

// The sbatch script for the job array.
std::string slurm_batch_script(const SlurmOptions& o);

// Writes the script into work_dir, submits it with sbatch, waits (progress on stderr), then merges
// the shards into output_dir. Throws Error naming each failed shard with the end of its log.
RunOutput run_on_slurm(const SlurmOptions& o, const std::string& output_dir, bool progress);

}  // namespace hearth::eval
