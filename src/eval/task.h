// An evaluation task as lm-evaluation-harness describes one in YAML: where the documents come
// from, how a document becomes a prompt (Jinja templates over the record), what is asked of the
// model (output_type), how answers are post-processed (filters) and scored (metrics).
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"

namespace hearth::eval {

enum class OutputType { loglikelihood, multiple_choice, loglikelihood_rolling, generate_until };
const char* output_type_name(OutputType t);

struct FilterStep {
  std::string function;       // regex | take_first | majority_vote | lowercase | uppercase | strip
  std::string regex_pattern;  // regex: the pattern; the first capture group (or group_select) is kept
  int group_select = 0;       // which match to keep (negative counts from the end)
  std::string fallback = "[invalid]";
};

struct FilterPipeline {
  std::string name = "none";
  std::vector<FilterStep> steps;
};

struct MetricSpec {
  std::string name;               // acc, acc_norm, exact_match, contains, regex_match, perplexity, ...
  std::string aggregation;        // mean unless the metric has its own corpus aggregation
  bool higher_is_better = true;
  bool ignore_case = false, ignore_punctuation = false;
  std::vector<std::string> regexes_to_ignore;
  std::string pattern;            // regex_match: the pattern the answer must match
  std::string judge_model;        // llm_judge: "local:FILE" or "provider:model" (else --judge)
  std::string rubric;             // llm_judge: Jinja template over the doc + response
};

struct GenerationKwargs {
  std::vector<std::string> until;
  int max_gen_toks = 256;
  double temperature = 0;  // 0: greedy
  bool do_sample = false;
};

struct TaskConfig {
  std::string name;
  std::string source;  // file path or "builtin:NAME", for messages
  std::string group;   // set for members of a group (mmlu subjects)
  std::string dataset_path, dataset_name;
  // dataset_kwargs.data_files: split -> files (absolute); dataset_path is then the builder
  // ("json" or "csv").
  std::map<std::string, std::vector<std::string>> data_files;
  std::string training_split, validation_split, test_split, fewshot_split;
  std::string doc_to_text, doc_to_target;
  std::string doc_to_choice;          // template or field name; empty when choices is a list
  std::vector<std::string> choice_list;
  bool has_choices = false;
  std::string description;
  std::string target_delimiter = " ";
  std::string fewshot_delimiter = "\n\n";
  int num_fewshot = 0;
  std::string fewshot_sampler = "default";  // default | first_n | random
  uint64_t fewshot_seed = 1234;
  OutputType output_type = OutputType::generate_until;
  GenerationKwargs generation;
  std::vector<FilterPipeline> filters;
  std::vector<MetricSpec> metrics;
  int repeats = 1;
  double version = 0;
  // hearth extension for loglikelihood_rolling: "llama_perplexity" scores like llama.cpp's
  // llama-perplexity (chunks of rolling_context tokens, BOS first, second half scored).
  std::string rolling_method = "lm_eval";
  int rolling_context = 0;  // 0: the backend's context
  ordered_json raw;         // the task as written, for the results' "configs"
  // `!function` names from functions.h ("" = none).
  std::string process_docs, process_results;
  bool safety = false;      // a safety pack: records are validated as such
};

// A group of tasks reported together (mmlu: 57 subjects, aggregated weighted by size).
struct TaskGroup {
  std::string name;
  std::vector<std::string> tasks;
  // aggregate_metric_list: the metrics aggregated (empty: every metric) and whether members are
  // weighted by their number of documents (lm-eval's weight_by_size; true for mmlu).
  std::vector<std::string> metrics;
  bool weight_by_size = true;
};

// Variables that task files may reference as ${NAME} in dataset_path (EVAL_DATA: --data-dir or
// $HEARTH_EVAL_DATA).
struct TaskEnv {
  std::filesystem::path eval_data;
  std::string judge_model;  // --judge: adds llm_judge to safety packs
  // --include-path (lm-eval's --include_path): folders whose YAML files (searched recursively)
  // define tasks, groups and tags selectable by name. Built-in names win over them.
  std::vector<std::filesystem::path> include_paths;
};

// A --task entry as a run records it: a task file (also after custom...: or safety:) made
// absolute, so a merge or a Slurm element started elsewhere finds it; names unchanged.
std::string absolute_task_spec(const std::string& spec);

// Parses one task file's text. `source` names it in errors ("file.yaml:12: ..."). Relative
// dataset paths resolve against `base_dir`. Throws Error(format) with file and line.
TaskConfig parse_task_yaml(const std::string& text, const std::string& source, const std::filesystem::path& base_dir,
                           const TaskEnv& env);

// A task or group file from disk, `include:` resolved. A group file (`group: NAME` with a `task:`
// list of built-in names, task files relative to it or inline task mappings, and an optional
// aggregate_metric_list) gives its member tasks and adds itself to `groups`. `resolve_name`
// resolves member names that are not files (resolve_tasks).
using ResolveName = std::function<std::vector<TaskConfig>(const std::string& spec, std::vector<TaskGroup>* groups)>;
std::vector<TaskConfig> load_task_file(const std::filesystem::path& file, const TaskEnv& env, std::vector<TaskGroup>* groups,
                                       const ResolveName& resolve_name);

// Resolves a --task entry: a built-in name, a group name (expanded) or a YAML path.
// A built-in, a task/group/tag defined in env.include_paths, custom[-SCORING]:FILE, safety:FILE
// or a YAML file. A tag gives every task that carries it (no group row, as in lm-eval).
std::vector<TaskConfig> resolve_tasks(const std::string& spec, const TaskEnv& env, std::vector<TaskGroup>* groups);

// Built-in task names and one-line descriptions (for `hearth eval list`).
struct BuiltinInfo {
  std::string name, description;
  bool is_group = false;
};
std::vector<BuiltinInfo> list_builtin_tasks();

// The YAML a built-in task (or a group's generated member) is defined by, as `hearth eval show`
// prints it: the starting point of a custom task. A group gives its member list. Throws
// Errc::not_found naming the task.
std::string builtin_task_yaml(const std::string& name);

}  // namespace hearth::eval
