// The runner end to end over a scripted backend: few-shot contexts, multiple-choice acc and
// acc_norm, generation with regex + take_first, rolling perplexities, results layout, and the
// request cache resuming an interrupted run.
#include <gtest/gtest.h>

#include <regex>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.h"
#include "eval/runner.h"
#include "support/shared_data.h"

using namespace hearth::eval;
namespace fs = std::filesystem;

namespace {

// Log-likelihood of a continuation is looked up by its text; generation answers by context.
class ScriptedBackend : public Backend {
 public:
  std::map<std::string, double> ll;
  std::vector<std::string> contexts;  // every loglikelihood/generate context seen
  std::vector<std::string> systems;   // per generate request: "plain" or "chat:" + its system message
  int calls = 0;
  int fail_after = -1;  // throw on this call (an interrupted run)

  std::string id() const override { return "scripted"; }
  bool supports_loglikelihood() const override { return true; }
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                 const OnLoglikelihood& done) override {
    std::vector<LoglikelihoodResult> out;
    for (size_t i = 0; i < reqs.size(); ++i) {
      if (calls == fail_after) hearth::fail(hearth::Errc::io, "interrupted");
      ++calls;
      contexts.push_back(reqs[i].context);
      LoglikelihoodResult r{ll.count(reqs[i].continuation) ? ll[reqs[i].continuation] : -100.0, false, 1};
      out.push_back(r);
      if (done) done(i, r);
    }
    return out;
  }
  RollingResult loglikelihood_rolling(const std::string& text, const RollingOptions&) override {
    ++calls;
    // -1 nat per byte; one "token" per 2 bytes.
    return {-double(text.size()), int64_t(text.size() / 2), 0};
  }
  std::vector<std::string> generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) override {
    std::vector<std::string> out;
    for (size_t i = 0; i < reqs.size(); ++i) {
      ++calls;
      contexts.push_back(reqs[i].context);
      systems.push_back(reqs[i].chat ? "chat:" + reqs[i].system : "plain");
      std::string a = reqs[i].context.find("2+2") != std::string::npos ? "It is 4.\n#### 4" : "no idea";
      out.push_back(a);
      if (done) done(i, a);
    }
    return out;
  }
};

void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

struct RunnerTest : ::testing::Test {
  fs::path dir = hearth::test::make_temp_dir("eval_runner");
  void TearDown() override { fs::remove_all(dir); }
  // A run that writes its folder and per-sample logs under dir/runs.
  RunOutput run_logged(const std::string& task, Backend& be) {
    RunOptions o = opts(task);
    o.log_samples = true;
    o.write_output = true;
    o.output_dir = (dir / "runs").string();
    return run_eval(o, &be);
  }
  RunOptions opts(const std::string& task) {
    RunOptions o;
    o.tasks = {task};
    o.model = "scripted";
    o.write_output = false;
    o.progress = false;
    o.use_cache = false;
    o.bootstrap_iters = 50;
    return o;
  }
};

}  // namespace

TEST_F(RunnerTest, MultipleChoiceFewshotAccAndAccNorm) {
  write(dir / "data/train.jsonl", "{\"q\": \"Tiny pet?\", \"c\": [\"cat\", \"whale\"], \"a\": 0}\n"
                                  "{\"q\": \"Big sea animal?\", \"c\": [\"cat\", \"whale\"], \"a\": 1}\n");
  write(dir / "data/test.jsonl", "{\"q\": \"Largest land animal?\", \"c\": [\"cat\", \"elephant\"], \"a\": 1}\n"
                                 "{\"q\": \"Says meow?\", \"c\": [\"cat\", \"elephant\"], \"a\": 0}\n");
  write(dir / "mc.yaml", R"YAML(task: mc
dataset_path: data
training_split: train
test_split: test
output_type: multiple_choice
description: "Animals: "
doc_to_text: "Q: {{ q }}\nA:"
doc_to_choice: "{{ c }}"
doc_to_target: a
num_fewshot: 2
fewshot_config:
  sampler: first_n
metric_list:
  - metric: acc
  - metric: acc_norm
metadata:
  version: 1.0
)YAML");
  ScriptedBackend be;
  // " cat" beats " elephant" on the sum, but not per character: -1/3 > -1.5/8 is false.
  be.ll = {{" cat", -1.0}, {" elephant", -1.5}};
  RunOptions o = opts((dir / "mc.yaml").string());
  o.log_samples = true;
  RunOutput out = run_eval(o, &be);
  const std::string want_ctx = "Animals: Q: Tiny pet?\nA: cat\n\nQ: Big sea animal?\nA: whale\n\nQ: Largest land animal?\nA:";
  ASSERT_FALSE(be.contexts.empty());
  EXPECT_EQ(be.contexts[0], want_ctx);
  const auto& r = out.results["results"]["mc"];
  // doc 1 (gold elephant): acc picks cat (wrong), acc_norm elephant (right); doc 2 (gold cat): the reverse.
  EXPECT_DOUBLE_EQ(r["acc,none"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["acc_norm,none"].get<double>(), 0.5);
  EXPECT_NEAR(r["acc_stderr,none"].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(out.results["n-shot"]["mc"], 2);
  EXPECT_EQ(out.results["versions"]["mc"], 1.0);
  EXPECT_EQ(out.results["n-samples"]["mc"]["effective"], 2);
  EXPECT_EQ(out.requests, 4);

  // --num-fewshot 0 and --limit 1 override the task.
  ScriptedBackend be0;
  be0.ll = be.ll;
  RunOptions o0 = opts((dir / "mc.yaml").string());
  o0.num_fewshot = 0;
  o0.limit = 1;
  RunOutput out0 = run_eval(o0, &be0);
  EXPECT_EQ(be0.contexts[0], "Animals: Q: Largest land animal?\nA:");
  EXPECT_EQ(out0.results["n-samples"]["mc"]["effective"], 1);
  EXPECT_EQ(be0.calls, 2);
}

TEST_F(RunnerTest, GenerateWithRegexFilterAndExactMatch) {
  write(dir / "g.jsonl", "{\"question\": \"What is 2+2?\", \"answer\": \"4\"}\n{\"question\": \"What is 3+5?\", \"answer\": \"8\"}\n");
  write(dir / "g.yaml", R"YAML(task: arith
dataset_path: g.jsonl
output_type: generate_until
doc_to_text: "Question: {{ question }}\nAnswer:"
doc_to_target: answer
generation_kwargs:
  until: ["Question:"]
filter_list:
  - name: strict
    filter:
      - function: regex
        regex_pattern: "#### (\\-?[0-9]+)"
      - function: take_first
metric_list:
  - metric: exact_match
)YAML");
  ScriptedBackend be;
  RunOutput out = run_logged((dir / "g.yaml").string(), be);
  EXPECT_DOUBLE_EQ(out.results["results"]["arith"]["exact_match,strict"].get<double>(), 0.5);
  ASSERT_FALSE(out.dir.empty());
  EXPECT_TRUE(fs::exists(out.dir / "results.json"));
  std::ifstream s(out.dir / "samples_arith.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(s, line));
  auto j = hearth::json::parse(line);
  EXPECT_EQ(j["filtered_resps"][0], "4");
  EXPECT_EQ(j["exact_match"], 1.0);
  // lm-eval's sample hashes; the expected values are Python's hashlib.sha256 of
  // json.dumps(doc, indent=2, ensure_ascii=False), of the prompt and of str(target).
  EXPECT_EQ(j["doc_hash"], "fe12a981e0d877d447c010ae76b28e06483f29ebbbbfb643cd1edbabff04a974");
  EXPECT_EQ(j["prompt_hash"], "79afd63020023c3541ea277cb04d7ab38c951148484e3c8263be0736bc06a838");
  EXPECT_EQ(j["target_hash"], "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a");
}

// --apply-chat-template through a backend that cannot show its template (a remote endpoint):
// generation goes as a chat with the description as the system message; loglikelihood tasks are
// refused, naming the task and why, before anything is sent.
TEST_F(RunnerTest, ChatTemplateOnARemoteBackend) {
  write(dir / "g.jsonl", "{\"q\": \"What is 2+2?\", \"a\": \"4\"}\n");
  write(dir / "g.yaml", "task: g\ndataset_path: g.jsonl\noutput_type: generate_until\ndescription: \"Be brief. \"\n"
                        "doc_to_text: \"{{ q }}\"\ndoc_to_target: a\n");
  ScriptedBackend be;
  RunOptions o = opts((dir / "g.yaml").string());
  o.apply_chat_template = true;
  run_eval(o, &be);
  ASSERT_EQ(be.systems.size(), 1u);
  EXPECT_EQ(be.systems[0], "chat:Be brief. ");
  EXPECT_EQ(be.contexts[0], "What is 2+2?");
  write(dir / "m.jsonl", "{\"q\": \"x\", \"a\": 0}\n");
  write(dir / "m.yaml", "task: m\ndataset_path: m.jsonl\noutput_type: multiple_choice\ndoc_to_text: q\n"
                        "doc_to_choice: [\"a\", \"b\"]\ndoc_to_target: a\n");
  ScriptedBackend be2;
  o = opts((dir / "m.yaml").string());
  o.apply_chat_template = true;
  std::string e;
  try {
    run_eval(o, &be2);
  } catch (const hearth::Error& err) {
    e = err.what();
  }
  EXPECT_NE(e.find("task 'm': --apply-chat-template with multiple_choice needs the model's chat template"), std::string::npos) << e;
  EXPECT_EQ(be2.calls, 0);
}

// The run's files also go by lm-eval's names: results_<date_id>.json and
// samples_<task>_<date_id>.jsonl, with the date_id of the run's start (2026-12-05T17-15-02.123456).
TEST_F(RunnerTest, FilesAlsoUnderLmEvalNames) {
  write(dir / "u.jsonl", "{\"q\": \"x\", \"a\": 1}\n");
  write(dir / "u.yaml", "task: u\ndataset_path: u.jsonl\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n");
  ScriptedBackend be;
  RunOutput out = run_logged((dir / "u.yaml").string(), be);
  std::string results, samples;
  for (const auto& e : fs::directory_iterator(out.dir)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("results_", 0) == 0) results = n;
    if (n.rfind("samples_u_", 0) == 0) samples = n;
  }
  const std::regex date_id(R"(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{6})");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(results, m, date_id)) << results;
  EXPECT_EQ(results, "results_" + m.str() + ".json");
  EXPECT_EQ(samples, "samples_u_" + m.str() + ".jsonl");
  EXPECT_EQ(hearth::test::read_file(out.dir / results), hearth::test::read_file(out.dir / "results.json"));
  EXPECT_EQ(hearth::test::read_file(out.dir / samples), hearth::test::read_file(out.dir / "samples_u.jsonl"));
}

// --include-path: tasks, groups and tags defined by YAML files in a folder are selected by name,
// as lm-eval's --include_path; a tag runs every task carrying it; built-in names are not shadowed.
TEST_F(RunnerTest, IncludePathNamesTasksGroupsAndTags) {
  fs::create_directories(dir / "tasks" / "sub");
  write(dir / "tasks" / "d.jsonl", "{\"q\": \"x\", \"a\": 1}\n");
  const std::string body = "dataset_path: d.jsonl\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n";
  write(dir / "tasks" / "a.yaml", "task: alpha\ntag: [kids, quick]\n" + body);
  write(dir / "tasks" / "sub" / "b.yaml", "task: beta\ntag: kids\ndataset_path: ../d.jsonl\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n");
  write(dir / "tasks" / "g.yaml", "group: both\ntask:\n  - alpha\n  - beta\n");
  write(dir / "tasks" / "broken.yaml", "task: [unclosed\n");
  TaskEnv env;
  env.include_paths = {dir / "tasks"};
  auto names = [&](const std::string& spec) {
    std::vector<TaskGroup> groups;
    std::string out;
    for (const auto& t : resolve_tasks(spec, env, &groups)) out += (out.empty() ? "" : ",") + t.name;
    return out + (groups.empty() ? "" : " group " + groups[0].name);
  };
  EXPECT_EQ(names("alpha"), "alpha");
  EXPECT_EQ(names("kids"), "alpha,beta");
  EXPECT_EQ(names("quick"), "alpha");
  EXPECT_EQ(names("both"), "alpha,beta group both");
  std::string e;
  try {
    resolve_tasks("gamma", env, nullptr);
  } catch (const hearth::Error& err) {
    e = err.what();
  }
  EXPECT_NE(e.find("unknown task 'gamma'"), std::string::npos) << e;
  EXPECT_NE(e.find("--include-path"), std::string::npos) << e;
  env.include_paths = {dir / "nowhere"};
  EXPECT_THROW(resolve_tasks("alpha", env, nullptr), hearth::Error);
  // A run over a tag records the include path, so `eval merge` can resolve it again.
  ScriptedBackend be;
  RunOptions o = opts("kids");
  o.env.include_paths = {dir / "tasks"};
  RunOutput out = run_eval(o, &be);
  EXPECT_EQ(out.results["config"]["include_paths"][0], fs::absolute(dir / "tasks").string());
  EXPECT_TRUE(out.results["results"].contains("beta"));
}

TEST_F(RunnerTest, SampleDocHashIsPythonsJsonDumps) {
  // Non-ASCII, escapes, a float and empty containers, in the layout json.dumps(indent=2) writes.
  write(dir / "u.jsonl", "{\"q\": \"caf\u00e9 \\\"x\\\"\\n\", \"n\": [1, 2.5, [], {}], \"a\": 1}\n");
  write(dir / "u.yaml", "task: u\ndataset_path: u.jsonl\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n");
  ScriptedBackend be;
  RunOutput out = run_logged((dir / "u.yaml").string(), be);
  std::ifstream s(out.dir / "samples_u.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(s, line));
  auto j = hearth::json::parse(line);
  EXPECT_EQ(j["doc_hash"], "9af3d7e9cb7b37c7b2689cb09c5c24b2e0f90f377e65171c2bfdab6080c35b87") << j["doc"].dump();
}

TEST_F(RunnerTest, GroupFilesIncludesAndPooledStderr) {
  write(dir / "small.jsonl", "{\"q\": \"a\", \"a\": 0}\n{\"q\": \"b\", \"a\": 1}\n");
  write(dir / "big.jsonl", "{\"q\": \"c\", \"a\": 0}\n{\"q\": \"d\", \"a\": 0}\n{\"q\": \"e\", \"a\": 0}\n{\"q\": \"f\", \"a\": 1}\n");
  // Shared keys in an included file without a task name, as lm-eval's _default_template_yaml.
  write(dir / "base.yaml", R"YAML(output_type: multiple_choice
doc_to_text: "{{ q }}"
doc_to_choice: ["cat", "elephant"]
doc_to_target: a
metric_list:
  - metric: acc
  - metric: acc_norm
)YAML");
  write(dir / "small.yaml", "include: base.yaml\ntask: small\ndataset_path: small.jsonl\n");
  auto group = [&](bool weight) {
    write(dir / "zoo.yaml", std::string(R"YAML(group: zoo
task:
  - small
  - task: big
    include: base.yaml
    dataset_path: big.jsonl
aggregate_metric_list:
  - metric: acc
    aggregation: mean
    weight_by_size: )YAML") + (weight ? "true" : "false") + "\n");
  };
  group(true);
  ScriptedBackend be;
  be.ll = {{" cat", -1.0}, {" elephant", -1.5}};  // always "cat": small acc 1/2, big acc 3/4
  RunOutput out = run_eval(opts((dir / "zoo.yaml").string()), &be);
  ASSERT_TRUE(out.results["results"].contains("small") && out.results["results"].contains("big")) << out.results.dump();
  const auto& g = out.results["groups"]["zoo"];
  EXPECT_NEAR(g["acc,none"].get<double>(), (2 * 0.5 + 4 * 0.75) / 6, 1e-12);
  // lm-eval's pooled_sample_stderr: sqrt(sum((n-1) se^2 n) / (N - k) / N), member errors 0.5 and 0.25.
  EXPECT_NEAR(g["acc_stderr,none"].get<double>(), std::sqrt((1 * 0.25 * 2 + 3 * 0.0625 * 4) / 4.0 / 6.0), 1e-12);
  EXPECT_FALSE(g.contains("acc_norm,none")) << "aggregate_metric_list names acc only";
  EXPECT_EQ(out.results["group_subtasks"]["zoo"], (hearth::ordered_json::array({"small", "big"})));

  group(false);
  ScriptedBackend be2;
  be2.ll = be.ll;
  RunOutput out2 = run_eval(opts((dir / "zoo.yaml").string()), &be2);
  EXPECT_NEAR(out2.results["groups"]["zoo"]["acc,none"].get<double>(), (0.5 + 0.75) / 2, 1e-12);

  // A member that resolves to nothing is named with the group file's line.
  write(dir / "bad_group.yaml", "group: g\ntask:\n  - small\n  - no_such_task\n");
  try {
    run_eval(opts((dir / "bad_group.yaml").string()), &be);
    ADD_FAILURE() << "a group with an unknown member ran";
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad_group.yaml:4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_task"), std::string::npos) << e.what();
  }
}

// lm-eval's way to point at local files: dataset_path: json + dataset_kwargs.data_files.
TEST_F(RunnerTest, DataFilesPerSplit) {
  write(dir / "files/fewshot.jsonl", "{\"question\": \"What is 1+1?\", \"answer\": \"2\"}\n");
  write(dir / "files/test-a.json", "[{\"question\": \"What is 2+2?\", \"answer\": \"4\"}]");
  write(dir / "files/test-b.jsonl", "{\"question\": \"What is 3+5?\", \"answer\": \"8\"}\n");
  write(dir / "df.yaml", R"YAML(task: df
dataset_path: json
dataset_kwargs:
  data_files:
    train: files/fewshot.jsonl
    test: [files/test-a.json, files/test-b.jsonl]
training_split: train
test_split: test
num_fewshot: 1
output_type: generate_until
doc_to_text: "Q: {{ question }}\nA:"
doc_to_target: answer
metric_list:
  - metric: exact_match
)YAML");
  ScriptedBackend be;
  RunOutput out = run_eval(opts((dir / "df.yaml").string()), &be);
  EXPECT_EQ(out.results["n-samples"]["df"]["effective"], 2);
  ASSERT_EQ(be.contexts.size(), 2u);
  EXPECT_EQ(be.contexts[0], "Q: What is 1+1?\nA: 2\n\nQ: What is 2+2?\nA:");
  EXPECT_EQ(be.contexts[1], "Q: What is 1+1?\nA: 2\n\nQ: What is 3+5?\nA:");
  // A split the files do not name is an error listing the ones they do.
  write(dir / "df2.yaml", "task: df2\ndataset_path: csv\ndataset_kwargs:\n  data_files: files/x.csv\n"
                          "output_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n");
  try {
    run_eval(opts((dir / "df2.yaml").string()), &be);
    ADD_FAILURE() << "a missing split ran";
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no split 'test' (it has: train)"), std::string::npos) << e.what();
  }
  // A Parquet file, named directly or found in a dataset folder, is refused with the converter's name.
  write(dir / "files/test.parquet", "PAR1 not really");
  write(dir / "df3.yaml", "task: df3\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: files/test.parquet\n"
                          "output_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n");
  write(dir / "df4.yaml", "task: df4\ndataset_path: files\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\n");
  for (const char* task : {"df3.yaml", "df4.yaml"}) {
    try {
      run_eval(opts((dir / task).string()), &be);
      ADD_FAILURE() << task << ": a Parquet file ran";
    } catch (const hearth::Error& e) {
      EXPECT_NE(std::string(e.what()).find("test.parquet: Parquet files are not read directly; convert it with `node "
                                           "scripts/parquet-to-jsonl.mjs"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST_F(RunnerTest, RollingPerplexities) {
  write(dir / "t.jsonl", "{\"text\": \"one two three four\"}\n{\"text\": \"five six\"}\n");
  write(dir / "p.yaml", R"YAML(task: ppl
dataset_path: t.jsonl
output_type: loglikelihood_rolling
doc_to_text: ""
doc_to_target: text
metric_list:
  - metric: word_perplexity
  - metric: byte_perplexity
  - metric: bits_per_byte
)YAML");
  ScriptedBackend be;
  RunOutput out = run_eval(opts((dir / "p.yaml").string()), &be);
  const auto& r = out.results["results"]["ppl"];
  // 18 + 8 bytes at -1 nat each over 4 + 2 words.
  EXPECT_NEAR(r["word_perplexity,none"].get<double>(), std::exp(26.0 / 6.0), 1e-6);
  EXPECT_NEAR(r["byte_perplexity,none"].get<double>(), std::exp(1.0), 1e-9);
  EXPECT_NEAR(r["bits_per_byte,none"].get<double>(), 1.0 / std::log(2.0), 1e-9);
}

TEST_F(RunnerTest, CacheResumesAnInterruptedRun) {
  std::string docs;
  for (int i = 0; i < 6; ++i) docs += "{\"q\": \"question " + std::to_string(i) + "\", \"a\": 0}\n";
  write(dir / "d.jsonl", docs);
  write(dir / "c.yaml", R"YAML(task: cached
dataset_path: d.jsonl
output_type: multiple_choice
doc_to_text: "{{ q }}"
doc_to_choice: ["yes", "no"]
doc_to_target: a
metric_list:
  - metric: acc
)YAML");
  RunOptions o = opts((dir / "c.yaml").string());
  o.use_cache = true;
  o.cache_path = (dir / "cache.sqlite").string();
  ScriptedBackend first;
  first.ll = {{" yes", -0.5}, {" no", -2.0}};
  first.fail_after = 5;  // dies on the sixth of twelve requests
  EXPECT_THROW(run_eval(o, &first), hearth::Error);
  ScriptedBackend second;
  second.ll = first.ll;
  RunOutput out = run_eval(o, &second);
  EXPECT_EQ(out.requests, 12);
  EXPECT_EQ(out.cached, 5);
  EXPECT_EQ(second.calls, 7);
  EXPECT_DOUBLE_EQ(out.results["results"]["cached"]["acc,none"].get<double>(), 1.0);
  ScriptedBackend third;
  RunOutput again = run_eval(o, &third);  // a rerun is free
  EXPECT_EQ(third.calls, 0);
  EXPECT_EQ(again.cached, 12);
  EXPECT_DOUBLE_EQ(again.results["results"]["cached"]["acc,none"].get<double>(), 1.0);
}

TEST_F(RunnerTest, LoglikelihoodPerplexityAndGreedyAcc) {
  write(dir / "l.jsonl", "{\"ctx\": \"The sky is\", \"t\": \"blue\"}\n{\"ctx\": \"Grass is\", \"t\": \"green\"}\n");
  write(dir / "l.yaml", R"YAML(task: lambada_like
dataset_path: l.jsonl
output_type: loglikelihood
doc_to_text: ctx
doc_to_target: t
metric_list:
  - metric: perplexity
    higher_is_better: false
  - metric: acc
)YAML");
  ScriptedBackend be;
  be.ll = {{" blue", -1.0}, {" green", -3.0}};
  RunOutput out = run_eval(opts((dir / "l.yaml").string()), &be);
  const auto& r = out.results["results"]["lambada_like"];
  EXPECT_NEAR(r["perplexity,none"].get<double>(), std::exp(2.0), 1e-9);
  EXPECT_DOUBLE_EQ(r["acc,none"].get<double>(), 0.0);  // the scripted backend is never greedy
  EXPECT_EQ(be.contexts[0], "The sky is");
}
