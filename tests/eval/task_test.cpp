// Task files, datasets, rendering, few-shot selection and filters, without a model.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>

#include "core/error.h"
#include "eval/dataset.h"
#include "eval/fewshot.h"
#include "eval/functions.h"
#include "eval/filters.h"
#include "eval/render.h"
#include "eval/task.h"

using namespace hearth::eval;
using hearth::ordered_json;

namespace {

const char* kTask = R"YAML(task: animals
dataset_path: data
test_split: test
training_split: train
output_type: multiple_choice
description: "Pick the animal.\n\n"
doc_to_text: "Q: {{ question }}\nA:"
doc_to_choice: "{{ options }}"
doc_to_target: "{{ answer }}"
target_delimiter: " "
fewshot_delimiter: "\n\n"
num_fewshot: 2
fewshot_config:
  sampler: first_n
metric_list:
  - metric: acc
  - metric: acc_norm
metadata:
  version: 3.0
)YAML";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const hearth::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(EvalTask, ParsesHarnessKeys) {
  TaskConfig t = parse_task_yaml(kTask, "animals.yaml", "/base", {});
  EXPECT_EQ(t.name, "animals");
  EXPECT_EQ(t.output_type, OutputType::multiple_choice);
  EXPECT_EQ(t.dataset_path, "/base/data");
  EXPECT_EQ(t.test_split, "test");
  EXPECT_EQ(t.training_split, "train");
  EXPECT_EQ(t.num_fewshot, 2);
  EXPECT_EQ(t.fewshot_sampler, "first_n");
  EXPECT_EQ(t.description, "Pick the animal.\n\n");
  ASSERT_EQ(t.metrics.size(), 2u);
  EXPECT_EQ(t.metrics[0].name, "acc");
  EXPECT_EQ(t.metrics[1].name, "acc_norm");
  EXPECT_DOUBLE_EQ(t.version, 3.0);
}

TEST(EvalTask, GenerationKwargsAndFilters) {
  TaskConfig t = parse_task_yaml(R"YAML(task: g
dataset_path: /d.jsonl
output_type: generate_until
doc_to_text: "{{ q }}"
doc_to_target: a
generation_kwargs:
  until: ["\n\n", "Question:"]
  max_gen_toks: 32
filter_list:
  - name: strict
    filter:
      - function: regex
        regex_pattern: "#### (\\-?[0-9]+)"
      - function: take_first
metric_list:
  - metric: exact_match
    ignore_case: true
)YAML", "g.yaml", "/", {});
  ASSERT_EQ(t.generation.until.size(), 2u);
  EXPECT_EQ(t.generation.until[1], "Question:");
  EXPECT_EQ(t.generation.max_gen_toks, 32);
  ASSERT_EQ(t.filters.size(), 1u);
  EXPECT_EQ(t.filters[0].name, "strict");
  ASSERT_EQ(t.filters[0].steps.size(), 2u);
  EXPECT_EQ(t.filters[0].steps[0].function, "regex");
  EXPECT_EQ(t.filters[0].steps[1].function, "take_first");
  EXPECT_TRUE(t.metrics[0].ignore_case);
}

TEST(EvalTask, MalformedFilesNameFileAndLine) {
  // YAML syntax error on line 3.
  std::string e = error_of([] { parse_task_yaml("task: x\ndataset_path: d\noutput_type: [unclosed\n", "bad.yaml", "/", {}); });
  EXPECT_NE(e.find("bad.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("YAML"), std::string::npos) << e;
  // An unknown output type names its line (4).
  e = error_of([] {
    parse_task_yaml("task: x\ndataset_path: d\ndoc_to_text: t\noutput_type: guess\ndoc_to_target: y\n", "ot.yaml", "/", {});
  });
  EXPECT_NE(e.find("ot.yaml:4"), std::string::npos) << e;
  e = error_of([] { parse_task_yaml("dataset_path: d\n", "nt.yaml", "/", {}); });
  EXPECT_NE(e.find("nt.yaml:1: missing 'task'"), std::string::npos) << e;
  e = error_of([] { parse_task_yaml("- a\n- b\n", "list.yaml", "/", {}); });
  EXPECT_NE(e.find("list.yaml:1"), std::string::npos) << e;
  // A metric that cannot apply to the output type.
  e = error_of([] {
    parse_task_yaml("task: x\ndataset_path: d\noutput_type: loglikelihood_rolling\ndoc_to_text: ''\ndoc_to_target: t\n"
                    "metric_list:\n  - metric: acc_norm\n",
                    "m.yaml", "/", {});
  });
  EXPECT_NE(e.find("m.yaml"), std::string::npos) << e;
  EXPECT_NE(e.find("acc_norm"), std::string::npos) << e;
}

TEST(EvalDataset, ParsesJsonlCsvJson) {
  auto a = parse_docs("{\"x\": 1}\n\n{\"x\": 2}\n", "jsonl", "a.jsonl");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].fields["x"], 2);
  EXPECT_EQ(a[1].origin, "a.jsonl:3");
  auto c = parse_docs("q,a\n\"hello, \"\"you\"\"\",2\nplain,3\n", "csv", "c.csv");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].fields["q"], "hello, \"you\"");
  EXPECT_EQ(c[1].fields["a"], "3");
  auto j = parse_docs("[{\"k\": \"v\"}]", "json", "j.json");
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].fields["k"], "v");
}

TEST(EvalDataset, MalformedDataNamesFileAndLine) {
  std::string e = error_of([] { parse_docs("{\"x\": 1}\n{\"x\": 2\n{\"x\": 3}\n", "jsonl", "bad.jsonl"); });
  EXPECT_NE(e.find("bad.jsonl:2"), std::string::npos) << e;
  e = error_of([] { parse_docs("{\"x\": 1}\n[1, 2]\n", "jsonl", "arr.jsonl"); });
  EXPECT_NE(e.find("arr.jsonl:2"), std::string::npos) << e;
  e = error_of([] { parse_docs("q,a\nok,1\nbro\"ken,2\n", "csv", "bad.csv"); });
  EXPECT_NE(e.find("bad.csv:3"), std::string::npos) << e;
  e = error_of([] { parse_docs("[{\"a\": 1},\n {\"a\": }]", "json", "bad.json"); });
  EXPECT_NE(e.find("bad.json:2"), std::string::npos) << e;
  e = error_of([] { load_file("/nonexistent/x.jsonl"); });
  EXPECT_NE(e.find("/nonexistent/x.jsonl"), std::string::npos) << e;
}

TEST(EvalRender, TextTargetChoice) {
  TaskConfig t = parse_task_yaml(kTask, "animals.yaml", "/", {});
  Doc d{ordered_json::parse(R"({"question": "Which one barks?", "options": ["cat", "dog"], "answer": 1})"), "x:1"};
  DocRenderer r(t);
  EXPECT_EQ(r.text(d), "Q: Which one barks?\nA:");
  auto ch = r.choices(d);
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch[0], "cat");
  EXPECT_EQ(ch[1], "dog");
  Target tg = r.target(d);
  ASSERT_TRUE(tg.index.has_value());
  EXPECT_EQ(*tg.index, 1);
  EXPECT_EQ(tg.text, "dog");
}

TEST(EvalRender, FieldNamesLiteralsAndChoiceLists) {
  TaskConfig t = parse_task_yaml(R"YAML(task: f
dataset_path: /d.jsonl
output_type: multiple_choice
doc_to_text: question
doc_to_choice: ["no", "yes"]
doc_to_target: label
)YAML", "f.yaml", "/", {});
  DocRenderer r(t);
  Doc d{ordered_json::parse(R"({"question": "Is water wet?", "label": 1})"), "x:1"};
  EXPECT_EQ(r.text(d), "Is water wet?");
  EXPECT_EQ(r.choices(d), (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(r.target(d).text, "yes");
  auto pl = parse_python_list("['a', \"b, c\", 3]");
  ASSERT_TRUE(pl.has_value());
  EXPECT_EQ(*pl, (std::vector<std::string>{"a", "b, c", "3"}));
  EXPECT_FALSE(parse_python_list("not a list").has_value());
}

TEST(EvalTask, EveryKeyIsReadAcceptedOrRefusedByName) {
  const std::string base = "task: k\ndataset_path: d\noutput_type: generate_until\ndoc_to_text: t\ndoc_to_target: a\n";
  // A misspelt key is an error naming it and its line (6), not a silent skip.
  std::string e = error_of([&] { parse_task_yaml(base + "num_fewshots: 5\n", "k.yaml", "/", {}); });
  EXPECT_NE(e.find("k.yaml:6"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'num_fewshots'; did you mean 'num_fewshot'?"), std::string::npos) << e;
  // lm-eval keys hearth does not implement are refused with their name.
  for (const char* key : {"aggregate_metric_list", "gen_prefix", "doc_to_image"}) {
    e = error_of([&] { parse_task_yaml(base + key + ": x\n", "k.yaml", "/", {}); });
    EXPECT_NE(e.find(std::string("'") + key + "'"), std::string::npos) << key << ": " << e;
  }
  // `!function` names Python code: refused wherever it appears, with the function's name.
  e = error_of([&] {
    parse_task_yaml("task: k\ndataset_path: d\noutput_type: generate_until\ndoc_to_text: !function utils.doc_to_text\n"
                    "doc_to_target: a\n", "f.yaml", "/", {});
  });
  EXPECT_NE(e.find("f.yaml:4"), std::string::npos) << e;
  EXPECT_NE(e.find("utils.doc_to_text"), std::string::npos) << e;
  // Nested mappings check their keys too.
  e = error_of([&] { parse_task_yaml(base + "generation_kwargs:\n  until: [x]\n  top_p: 0.9\n", "g.yaml", "/", {}); });
  EXPECT_NE(e.find("g.yaml:8"), std::string::npos) << e;
  EXPECT_NE(e.find("'top_p' in generation_kwargs"), std::string::npos) << e;
  e = error_of([&] { parse_task_yaml(base + "metric_list:\n  - metric: exact_match\n    ignore_cases: true\n", "m.yaml", "/", {}); });
  EXPECT_NE(e.find("'ignore_cases'"), std::string::npos) << e;
  e = error_of([&] { parse_task_yaml(base + "dataset_kwargs:\n  streaming: true\n", "dk.yaml", "/", {}); });
  EXPECT_NE(e.find("dataset_kwargs.streaming"), std::string::npos) << e;
  // data_files needs a builder hearth reads in dataset_path.
  e = error_of([&] {
    parse_task_yaml("task: p\ndataset_path: parquet\ndataset_kwargs:\n  data_files: x.parquet\noutput_type: generate_until\n"
                    "doc_to_text: t\ndoc_to_target: a\n", "pq.yaml", "/", {});
  });
  EXPECT_NE(e.find("pq.yaml:4"), std::string::npos) << e;
  EXPECT_NE(e.find("scripts/parquet-to-jsonl.mjs"), std::string::npos) << e;
  e = error_of([&] {
    parse_task_yaml("task: p\ndataset_path: arrow\ndataset_kwargs:\n  data_files: x.arrow\noutput_type: generate_until\n"
                    "doc_to_text: t\ndoc_to_target: a\n", "ar.yaml", "/", {});
  });
  EXPECT_NE(e.find("json or csv"), std::string::npos) << e;
  // Keys that change no prompt or score load.
  TaskConfig t = parse_task_yaml(base + "tag: [math]\ntask_alias: K\nshould_decontaminate: true\n"
                                        "doc_to_decontamination_query: t\ndataset_kwargs:\n  trust_remote_code: true\n"
                                        "metadata:\n  version: 2.0\n  note: free text\n",
                                 "ok.yaml", "/", {});
  EXPECT_EQ(t.name, "k");
  EXPECT_DOUBLE_EQ(t.version, 2.0);
}

TEST(EvalRender, RendersAsLmEval) {
  TaskConfig t = parse_task_yaml(R"YAML(task: r
dataset_path: /d.jsonl
output_type: generate_until
description: "About {{ topic }}.\n\n"
doc_to_text: "Q: {{ question }}\n"
doc_to_target: "{{ answer }}"
)YAML", "r.yaml", "/", {});
  DocRenderer r(t);
  Doc d{ordered_json::parse(R"({"question": "Why?", "answer": "Because.", "topic": "causes"})"), "d.jsonl:1"};
  // Trailing newlines are kept, as lm-eval's keep_trailing_newline does.
  EXPECT_EQ(r.description(d), "About causes.\n\n");
  EXPECT_EQ(r.text(d), "Q: Why?\n");
  // A variable the document lacks is an error naming it, the document and the task file.
  Doc missing{ordered_json::parse(R"({"question": "Why?", "answer": "Because."})"), "d.jsonl:2"};
  std::string e = error_of([&] { r.description(missing); });
  EXPECT_NE(e.find("'topic' is undefined"), std::string::npos) << e;
  EXPECT_NE(e.find("d.jsonl:2"), std::string::npos) << e;
  EXPECT_NE(e.find("r.yaml"), std::string::npos) << e;
}

TEST(EvalFewshot, FirstNAndSeededRandomSkipTheDocument) {
  std::vector<Doc> pool;
  for (int i = 0; i < 10; ++i) pool.push_back({ordered_json{{"i", i}}, "p:" + std::to_string(i + 1)});
  FewshotSampler first_n(pool, "first_n", 1234, true);
  auto first = first_n.pick(pool[0], 3, 0);
  ASSERT_EQ(first.size(), 3u);
  // The document itself (pool[0]) is never its own example.
  for (const Doc* d : first) EXPECT_NE(d->fields["i"], 0);
  EXPECT_EQ(first[0]->fields["i"], 1);
  Doc other{ordered_json{{"i", 99}}, "t:1"};
  auto f2 = first_n.pick(other, 3, 0);
  EXPECT_EQ(f2[0]->fields["i"], 0);
  EXPECT_EQ(f2[2]->fields["i"], 2);
  FewshotSampler random_a(pool, "random", 42, false), random_b(pool, "random", 42, false);
  auto r1 = random_a.pick(other, 4, 5);
  auto r2 = random_b.pick(other, 4, 5);
  ASSERT_EQ(r1.size(), 4u);
  for (size_t k = 0; k < r1.size(); ++k) EXPECT_EQ(r1[k], r2[k]);  // same seed, same examples
  std::set<const Doc*> uniq(r1.begin(), r1.end());
  EXPECT_EQ(uniq.size(), 4u);  // without replacement
}

// lm-eval's default sampler: random.Random(seed).sample(pool, k + 1) when the pool is the evaluated
// split, the document dropped from the draw; one generator across the documents.
TEST(EvalFewshot, DefaultSamplerDrawsAsLmEval) {
  std::vector<Doc> pool;
  for (int i = 0; i < 10; ++i) pool.push_back({ordered_json{{"i", i}}, "p:" + std::to_string(i + 1)});
  // Python: r = random.Random(42); r.sample(range(10), 4) -> [1, 0, 4, 9]; then
  // r.sample(range(10), 7) -> [3, 2, 1, 5, 6, 4, 0].
  FewshotSampler same(pool, "default", 42, true);
  auto a = same.pick(pool[0], 3, 0);  // draws 4, drops document 0
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0]->fields["i"], 1);
  EXPECT_EQ(a[1]->fields["i"], 4);
  EXPECT_EQ(a[2]->fields["i"], 9);
  auto b = same.pick(pool[2], 6, 1);  // draws 7, drops document 2, keeps 6
  std::vector<int> got;
  for (const Doc* d : b) got.push_back(d->fields["i"]);
  EXPECT_EQ(got, (std::vector<int>{3, 1, 5, 6, 4, 0}));
  FewshotSampler other_split(pool, "default", 42, false);
  auto c = other_split.pick(Doc{ordered_json{{"i", 99}}, "t:1"}, 4, 0);
  got.clear();
  for (const Doc* d : c) got.push_back(d->fields["i"]);
  EXPECT_EQ(got, (std::vector<int>{1, 0, 4, 9}));
  std::string e = error_of([&] { other_split.pick(pool[0], 11, 1); });
  EXPECT_NE(e.find("11-shot"), std::string::npos) << e;
}

TEST(EvalFilters, RegexThenTakeFirst) {
  FilterPipeline p;
  p.steps.push_back({"regex", "#### (\\-?[0-9]+)", 0, "[invalid]"});
  p.steps.push_back({"take_first", "", 0, "[invalid]"});
  auto out = apply_filter(p, {"so 3+4 = 7\n#### 7", "no number", "#### -12 and #### 5"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "7");
  auto all = apply_filter({"x", {p.steps[0]}}, {"no number", "#### -12 and #### 5"});
  EXPECT_EQ(all[0], "[invalid]");
  EXPECT_EQ(all[1], "-12");
  // group_select -1: the last match (the harness's flexible-extract).
  FilterPipeline last{"flex", {{"regex", "(-?[0-9]+)", -1, "[invalid]"}}};
  EXPECT_EQ(apply_filter(last, {"12 then 30 then 42"})[0], "42");
  FilterPipeline vote{"mv", {{"majority_vote", "", 0, ""}}};
  EXPECT_EQ(apply_filter(vote, {"a", "b", "b", "a", "b"})[0], "b");
}

// The built-in `!function`s: what lm-eval's Python gives for the same input (values computed
// with lm-eval's definitions in Python 3), and the task-file rules around them.
TEST(EvalFunctions, BuiltInsMatchLmEvalsPython) {
  const TaskFunction* hs = find_task_function("process_docs", "utils.process_docs", "hellaswag");
  ASSERT_NE(hs, nullptr);
  EXPECT_EQ(find_task_function("process_docs", "utils.process_docs", "arc_easy"), nullptr);  // a name other tasks share
  ordered_json doc = {{"activity_label", "Making a cake"}, {"ctx_a", "A woman  [title] mixes flour."}, {"ctx_b", "SHE then"},
                      {"endings", {" Hello [title] World [step] x ", "a    b", "q [title][title] z"}}, {"label", "1"}};
  ordered_json out = hs->docs(doc);
  // Python: preprocess("Making a cake: A woman  [title] mixes flour. She then") etc.
  EXPECT_EQ(out["query"], "Making a cake: A woman . mixes flour. She then");
  EXPECT_EQ(out["choices"], ordered_json({"Hello. World x", "a  b", "q. z"}));
  EXPECT_EQ(out["gold"], 1);

  const TaskFunction* mc2 = find_task_function("process_results", "utils.process_results_mc2", "truthfulqa_mc2");
  ASSERT_NE(mc2, nullptr);
  ordered_json d = {{"mc2_targets", {{"choices", {"t1", "t2", "f1"}}, {"labels", {1, 1, 0}}}}};
  auto r = mc2->results(d, {{std::log(0.5), false}, {std::log(0.25), false}, {std::log(0.25), false}});
  EXPECT_NEAR(r.at("acc"), 0.75, 1e-12);
  const TaskFunction* csv = find_task_function("process_docs", "hearth.truthfulqa_csv_mc2", "anything");
  ASSERT_NE(csv, nullptr);
  auto t = csv->docs({{"Correct Answers", "Yes; Indeed"}, {"Incorrect Answers", "No"}});
  EXPECT_EQ(t["mc2_targets"]["choices"], ordered_json({"Yes", "Indeed", "No"}));
  EXPECT_EQ(t["mc2_targets"]["labels"], ordered_json({1, 1, 0}));

  const std::string base = "task: truthfulqa_x\ndataset_path: d\noutput_type: multiple_choice\ndoc_to_text: t\ndoc_to_target: 0\n"
                           "doc_to_choice: [a]\n";
  auto cfg = parse_task_yaml(base + "process_results: !function utils.process_results_mc2\n", "f.yaml", "/", {});
  EXPECT_EQ(cfg.process_results, "utils.process_results_mc2");
  std::string e = error_of([&] { parse_task_yaml(base + "process_docs: !function utils.process_docz\n", "f.yaml", "/", {}); });
  EXPECT_NE(e.find("f.yaml:7: unknown function 'utils.process_docz' for process_docs of task 'truthfulqa_x'"), std::string::npos) << e;
  e = error_of([&] { parse_task_yaml(base + "process_results: utils.process_results_mc2\n", "f.yaml", "/", {}); });
  EXPECT_NE(e.find("'process_results' must be '!function NAME'"), std::string::npos) << e;
  e = error_of([&] { parse_task_yaml(base + "doc_to_decontamination_query: !function utils.q\n", "f.yaml", "/", {}); });
  EXPECT_NE(e.find("names Python code, which hearth does not run"), std::string::npos) << e;
}
