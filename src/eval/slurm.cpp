#include "eval/slurm.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/json.h"

namespace hearth::eval {
namespace fs = std::filesystem;
namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a command, returning its exit status and standard output.
int capture(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) fail(Errc::io, "cannot run: " + cmd);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

std::string tail_of(const fs::path& p, size_t bytes) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return "(no log)";
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? "..." + s.substr(s.size() - bytes) : s;
}

}  // namespace

std::string slurm_batch_script(const SlurmOptions& o) {
  if (o.shards < 1 || o.shards > 10000) fail(Errc::invalid_argument, "--shards must be between 1 and 10000");
  const std::string w = fs::absolute(o.work_dir).string();
  std::string s = "#!/bin/bash\n";
  s += "# hearth eval on Slurm: element I of the array runs shard I of " + std::to_string(o.shards) + ".\n";
  s += "#SBATCH --job-name=hearth-eval\n";
  s += "#SBATCH --array=0-" + std::to_string(o.shards - 1) + "\n";
  s += "#SBATCH --output=" + w + "/logs/shard-%a.log\n";
  if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
  if (!o.time.empty()) s += "#SBATCH --time=" + o.time + "\n";
  s += "i=\"$SLURM_ARRAY_TASK_ID\"\n";
  s += "w=" + quote(w) + "\n";
  s += quote(o.hearth) + " eval run";
  for (const auto& a : o.run_args) s += " " + quote(a);
  // Each shard its own cache: SQLite files are not for sharing over network file systems.
  s += " --shard \"$i/" + std::to_string(o.shards) + "\" --cache \"$w/cache/shard-$i.sqlite\" -o \"$w/shards\" --json"
       " > \"$w/shards/result-$i.json\"\n";
  s += "echo $? > \"$w/status/$i\"\n";
  return s;
}

RunOutput run_on_slurm(const SlurmOptions& o, const std::string& output_dir, bool progress) {
  const std::string script = slurm_batch_script(o);
  const fs::path w = fs::absolute(o.work_dir);
  for (const char* sub : {"logs", "shards", "status", "cache"}) fs::create_directories(w / sub);
  for (int i = 0; i < o.shards; ++i) fs::remove(w / "status" / std::to_string(i));
  {
    std::ofstream f(w / "job.sh", std::ios::binary);
    f << script;
    if (!f) fail(Errc::io, (w / "job.sh").string() + ": cannot write");
  }
  std::string out;
  if (capture("sbatch --parsable " + quote((w / "job.sh").string()) + " 2>&1", out) != 0)
    fail(Errc::io, "sbatch failed: " + out + (out.find("not found") != std::string::npos
                                                          ? " (--slurm needs Slurm's client tools on PATH)" : ""));
  const std::string job = out.substr(0, out.find_first_of(";\n"));
  if (progress) std::fprintf(stderr, "slurm: submitted job %s (%d shards), script %s\n", job.c_str(), o.shards, (w / "job.sh").c_str());

  // Done when every element has written its status, or when Slurm no longer lists the job (an
  // element killed by a time limit or a node failure writes none).
  int last_done = -1;
  for (;;) {
    int done = 0;
    for (int i = 0; i < o.shards; ++i) done += fs::exists(w / "status" / std::to_string(i));
    if (progress && done != last_done) std::fprintf(stderr, "slurm: job %s: %d/%d shards finished\n", job.c_str(), done, o.shards);
    last_done = done;
    if (done == o.shards) break;
    std::string q;
    if (capture("squeue -h -j " + quote(job) + " -o %i 2>/dev/null", q) == 0 && q.find_first_not_of(" \n") == std::string::npos) {
      // Gone from the queue: give the file system a moment to show the last status files.
      std::this_thread::sleep_for(std::chrono::seconds(2));
      break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }

  std::string failed;
  std::vector<fs::path> runs;
  for (int i = 0; i < o.shards; ++i) {
    const fs::path status = w / "status" / std::to_string(i), log = w / "logs" / ("shard-" + std::to_string(i) + ".log");
    std::ifstream sf(status);
    int rc = -1;
    if (!(sf >> rc) || rc != 0) {
      failed += "\n  shard " + std::to_string(i) + (rc < 0 ? " did not finish" : " exited " + std::to_string(rc)) + "; log " +
                log.string() + ":\n" + tail_of(log, 600);
      continue;
    }
    std::ifstream rf(w / "shards" / ("result-" + std::to_string(i) + ".json"));
    std::stringstream ss;
    ss << rf.rdbuf();
    json r = json::parse(ss.str(), nullptr, false);
    if (r.is_discarded() || !r.contains("run_dir")) {
      failed += "\n  shard " + std::to_string(i) + " wrote no results; log " + log.string();
      continue;
    }
    runs.push_back(r["run_dir"].get<std::string>());
  }
  if (!failed.empty()) fail(Errc::io, "slurm job " + job + ": shards failed:" + failed);
  return merge_shards(runs, output_dir, progress);
}

}  // namespace hearth::eval
