// `hearth eval merge`: assembles a sharded run. Rather than combining metrics (which would need
// every metric's own pooling rule, and could never reproduce bootstrap errors or samples), the
// whole evaluation is run again with every request answered from the shards' answers, so the
// result is the unsharded run's by construction.
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>

#include "core/error.h"
#include "engine/chat_format.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "eval/cache.h"
#include "eval/run_store.h"
#include "eval/runner.h"

namespace hearth::eval {
namespace fs = std::filesystem;
namespace {

// Answers everything from the cache; a request that reaches it was in no shard.
class ReplayBackend : public Backend {
 public:
  ReplayBackend(std::string id, json args) : id_(std::move(id)), args_(std::move(args)) {}
  std::string id() const override { return id_; }
  json describe() const override { return args_; }  // the shards' model facts
  bool supports_loglikelihood() const override { return true; }
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>&, const OnLoglikelihood&) override {
    missing();
  }
  RollingResult loglikelihood_rolling(const std::string&, const RollingOptions&) override { missing(); }
  std::vector<std::string> generate(const std::vector<GenerateRequest>&, const OnGenerated&) override { missing(); }
  // A local model's chat template, read from its file (no weights loaded), so that a run with
  // --apply-chat-template asks for the prompts its shards answered.
  std::optional<std::string> render_chat(const std::string& system, const std::string& user) override {
    if (id_.rfind("local:", 0) != 0) return std::nullopt;
    if (!fmt_) {
      file_ = std::make_unique<gguf::File>(gguf::File::open(id_.substr(6)));
      tok_ = tokenizer::Tokenizer::from_gguf(*file_);
      fmt_ = std::make_unique<engine::ChatFormatter>(*file_, *tok_);
    }
    std::vector<engine::ChatMessage> m;
    if (!system.empty()) m.push_back({"system", system});
    m.push_back({"user", user});
    return fmt_->render(m, true);
  }

 private:
  [[noreturn]] static void missing() {
    fail(Errc::not_found,
         "merge: a request of this run is in no shard's answers (were the shards run with the same task files and data?)");
  }
  std::string id_;
  json args_;
  std::unique_ptr<gguf::File> file_;
  std::unique_ptr<tokenizer::Tokenizer> tok_;
  std::unique_ptr<engine::ChatFormatter> fmt_;
};

// The settings every shard must share (they decide which requests exist).
const char* const kSameKeys[] = {"tasks", "model", "backend_id", "limit", "num_fewshot", "apply_chat_template",
                                 "bootstrap_iters", "data_dir", "judge", "log_samples", "include_paths"};

// A SQLite file removed (with its WAL files) when the merge ends, however it ends.
struct TempCache {
  fs::path path;
  TempCache() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("hearth-merge-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + ".sqlite");
  }
  ~TempCache() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix, ec);
  }
};

}  // namespace

RunOutput merge_shards(const std::vector<fs::path>& shard_runs, const std::string& output_dir, bool progress) {
  if (shard_runs.empty()) fail(Errc::invalid_argument, "merge needs the folders of a sharded run's shards");
  std::vector<ordered_json> configs;
  std::vector<fs::path> dirs;
  for (const auto& r : shard_runs) {
    ordered_json doc = load_run_results(r);
    const fs::path dir = fs::is_directory(r) ? r : r.parent_path();
    const auto& c = doc["config"];
    if (!c.is_object() || !c.contains("shard") || !c.contains("tasks") || !c.contains("backend_id"))
      fail(Errc::invalid_argument, dir.string() + ": not a shard of a sharded run (run with --shard I/N)");
    configs.push_back(c);
    dirs.push_back(dir);
  }
  const ordered_json& first = configs[0];
  const int count = first["shard"]["count"].get<int>();
  std::set<int> seen;
  for (size_t i = 0; i < configs.size(); ++i) {
    const auto& c = configs[i];
    for (const char* k : kSameKeys)
      if (c.value(k, ordered_json()) != first.value(k, ordered_json()))
        fail(Errc::invalid_argument, dirs[i].string() + ": '" + k + "' differs from " + dirs[0].string() +
                                         "'s; the shards are not of one run");
    if (c["shard"]["count"].get<int>() != count)
      fail(Errc::invalid_argument, dirs[i].string() + ": a shard of " + std::to_string(c["shard"]["count"].get<int>()) +
                                       ", not of " + std::to_string(count));
    if (!seen.insert(c["shard"]["index"].get<int>()).second)
      fail(Errc::invalid_argument, dirs[i].string() + ": shard " + std::to_string(c["shard"]["index"].get<int>()) +
                                       " given twice");
  }
  std::string missing;
  for (int k = 0; k < count; ++k)
    if (!seen.count(k)) missing += (missing.empty() ? "" : ", ") + std::to_string(k);
  if (!missing.empty())
    fail(Errc::invalid_argument, "merge: shard" + std::string(missing.find(',') != std::string::npos ? "s " : " ") + missing +
                                     " of " + std::to_string(count) + " missing");

  TempCache tmp;
  RunOptions o;
  {
    RequestCache cache(tmp.path.string());
    for (const auto& dir : dirs) {
      std::ifstream f(dir / "answers.jsonl", std::ios::binary);
      if (!f) fail(Errc::not_found, (dir / "answers.jsonl").string() + ": missing (the shard's answers)");
      std::string line;
      for (int n = 1; std::getline(f, line); ++n) {
        if (line.empty()) continue;
        json a = json::parse(line, nullptr, false);
        if (a.is_discarded() || !a.is_object() || !a.contains("key") || !a["key"].is_string() || !a.contains("value"))
          fail(Errc::format, (dir / "answers.jsonl").string() + ":" + std::to_string(n) + ": not an answer record");
        cache.put(a["key"].get<std::string>(), a["value"]);
      }
    }
  }
  for (const auto& t : first["tasks"]) o.tasks.push_back(t.get<std::string>());
  o.model = first.value("model", "");
  if (first["limit"].is_number()) o.limit = first["limit"].get<int64_t>();
  if (first["num_fewshot"].is_number()) o.num_fewshot = first["num_fewshot"].get<int>();
  o.apply_chat_template = first.value("apply_chat_template", false);
  o.bootstrap_iters = first.value("bootstrap_iters", 1000);
  if (first["data_dir"].is_string()) o.env.eval_data = first["data_dir"].get<std::string>();
  o.judge_model = first.value("judge", "");
  o.env.judge_model = o.judge_model;
  if (first.contains("include_paths") && first["include_paths"].is_array())
    for (const auto& p : first["include_paths"])
      if (p.is_string()) o.env.include_paths.push_back(p.get<std::string>());
  o.log_samples = first.value("log_samples", false);
  o.output_dir = output_dir;
  o.cache_path = tmp.path.string();
  o.progress = progress;
  ReplayBackend replay(first["backend_id"].get<std::string>(), first.value("model_args", json::object()));
  return run_eval(o, &replay);
}

}  // namespace hearth::eval
