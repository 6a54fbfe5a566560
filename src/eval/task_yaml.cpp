// YAML -> TaskConfig with lm-evaluation-harness's keys. Every key is either read, accepted as one
// that changes no prompt or score (tags, aliases, decontamination), or refused by name: a task
// that silently lost a key would score differently from lm-eval's. Errors name file and line.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <initializer_list>

#include "core/error.h"
#include "core/spelling.h"
#include "eval/functions.h"
#include "eval/task.h"

namespace hearth::eval {
namespace {

std::string where(const std::string& source, const YAML::Node& n) {
  return source + ":" + std::to_string(n.Mark().line + 1);
}

[[noreturn]] void bad(const std::string& source, const YAML::Node& n, const std::string& what) {
  fail(Errc::format, where(source, n) + ": " + what);
}

// lm-eval keys hearth does not implement, with what to do instead.
struct Refused {
  const char* key;
  const char* why;
};
constexpr Refused kRefusedKeys[] = {
    {"doc_to_image", "image tasks are not supported"},
    {"doc_to_audio", "audio tasks are not supported"},
    {"custom_dataset", "custom_dataset runs Python; point dataset_path at a file"},
    {"use_prompt", "promptsource prompts are not supported; write doc_to_text"},
    {"unsafe_code", "tasks that execute model-written code are not supported"},
    {"gen_prefix", "gen_prefix is not supported yet"},
    {"aggregate_metric_list", "aggregate_metric_list belongs in a group file (group: NAME, task: [...])"},
    {"group_alias", "group_alias belongs in a group file (group: NAME, task: [...])"},
};

// Keys that change nothing hearth computes: accepted and kept in `configs`.
constexpr const char* kInertKeys[] = {"tag", "task_alias", "should_decontaminate", "doc_to_decontamination_query"};

[[noreturn]] void unknown_key(const std::string& src, const YAML::Node& key_node, const std::string& where_in,
                              std::initializer_list<const char*> known) {
  std::string list;
  for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  const std::string near = closest_match(key_node.Scalar(), std::vector<std::string>(known.begin(), known.end()));
  bad(src, key_node, "unknown key '" + key_node.Scalar() + "'" + where_in + (near.empty() ? "" : "; did you mean '" + near + "'?") +
                         " (known: " + list + ")");
}

void check_keys(const std::string& src, const YAML::Node& map, const std::string& where_in,
                std::initializer_list<const char*> known) {
  for (const auto& kv : map) {
    bool ok = false;
    for (const char* k : known) ok = ok || kv.first.Scalar() == k;
    if (!ok) unknown_key(src, kv.first, where_in, known);
  }
}

// `!function module.name` asks lm-eval to import Python code; nothing here runs Python, so such a
// value must not be read as the plain string it looks like.
// process_docs and process_results take a function from hearth's registry (functions.h).
void refuse_functions(const std::string& src, const YAML::Node& n, const std::string& key) {
  if (n.Tag() == "!function")
    bad(src, n, "'" + key + ": !function " + n.Scalar() + "' names Python code, which hearth does not run" +
                    " (only process_docs and process_results take one of hearth's built-in functions)");
  if (n.IsMap())
    for (const auto& kv : n)
      if (kv.first.Scalar() != "process_docs" && kv.first.Scalar() != "process_results") refuse_functions(src, kv.second, kv.first.Scalar());
  else if (n.IsSequence())
    for (const auto& e : n) refuse_functions(src, e, key);
}

std::string scalar(const std::string& src, const YAML::Node& n, const char* key) {
  if (!n.IsScalar()) bad(src, n, std::string("'") + key + "' must be a string");
  return n.Scalar();
}

int integer(const std::string& src, const YAML::Node& n, const char* key) {
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
    return n.as<int>();
  } catch (const YAML::Exception&) {
    bad(src, n, std::string("'") + key + "' must be an integer");
  }
}

double number(const std::string& src, const YAML::Node& n, const char* key) {
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
    return n.as<double>();
  } catch (const YAML::Exception&) {
    bad(src, n, std::string("'") + key + "' must be a number");
  }
}

bool boolean(const std::string& src, const YAML::Node& n, const char* key) {
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
    return n.as<bool>();
  } catch (const YAML::Exception&) {
    bad(src, n, std::string("'") + key + "' must be true or false");
  }
}

std::vector<std::string> string_list(const std::string& src, const YAML::Node& n, const char* key) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) bad(src, n, std::string("'") + key + "' must be a list of strings");
  for (const auto& e : n) out.push_back(scalar(src, e, key));
  return out;
}

ordered_json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      ordered_json a = ordered_json::array();
      for (const auto& e : n) a.push_back(to_json(e));
      return a;
    }
    case YAML::NodeType::Map: {
      ordered_json o = ordered_json::object();
      for (const auto& kv : n) o[kv.first.Scalar()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted in the source: keep it a string
      try {
        size_t pos = 0;
        long long v = std::stoll(s, &pos);
        if (pos == s.size()) return v;
      } catch (...) {
      }
      try {
        size_t pos = 0;
        double v = std::stod(s, &pos);
        if (pos == s.size()) return v;
      } catch (...) {
      }
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      return s;
    }
    default:
      return nullptr;
  }
}

OutputType parse_output_type(const std::string& src, const YAML::Node& n) {
  std::string s = scalar(src, n, "output_type");
  if (s == "loglikelihood") return OutputType::loglikelihood;
  if (s == "multiple_choice") return OutputType::multiple_choice;
  if (s == "loglikelihood_rolling") return OutputType::loglikelihood_rolling;
  if (s == "generate_until") return OutputType::generate_until;
  bad(src, n, "unknown output_type '" + s +
                  "' (expected loglikelihood, multiple_choice, loglikelihood_rolling or generate_until)");
}

const char* kKnownMetrics[] = {"acc",         "acc_norm",       "exact_match",  "perplexity",    "word_perplexity",
                               "byte_perplexity", "bits_per_byte", "f1",        "contains",      "regex_match",
                               "llm_judge",   "token_perplexity", "refusal_match"};

MetricSpec parse_metric(const std::string& src, const YAML::Node& n) {
  if (!n.IsMap()) bad(src, n, "each metric_list entry must be a mapping with 'metric'");
  if (!n["metric"]) bad(src, n, "metric_list entry without 'metric'");
  MetricSpec m;
  m.name = scalar(src, n["metric"], "metric");
  bool known = false;
  for (const char* k : kKnownMetrics) known = known || m.name == k;
  if (!known) bad(src, n["metric"], "unknown metric '" + m.name + "'");
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "aggregation") m.aggregation = scalar(src, v, "aggregation");
    else if (key == "higher_is_better") m.higher_is_better = boolean(src, v, "higher_is_better");
    else if (key == "ignore_case") m.ignore_case = boolean(src, v, "ignore_case");
    else if (key == "ignore_punctuation") m.ignore_punctuation = boolean(src, v, "ignore_punctuation");
    else if (key == "regexes_to_ignore") m.regexes_to_ignore = string_list(src, v, "regexes_to_ignore");
    else if (key == "pattern") m.pattern = scalar(src, v, "pattern");
    else if (key == "judge_model") m.judge_model = scalar(src, v, "judge_model");
    else if (key == "rubric") m.rubric = scalar(src, v, "rubric");
    else if (key != "metric")
      unknown_key(src, kv.first, " in a metric_list entry",
                  {"metric", "aggregation", "higher_is_better", "ignore_case", "ignore_punctuation", "regexes_to_ignore",
                   "pattern", "judge_model", "rubric"});
  }
  if (m.aggregation.empty()) m.aggregation = "mean";
  if (m.name == "perplexity" || m.name == "word_perplexity" || m.name == "byte_perplexity" ||
      m.name == "bits_per_byte" || m.name == "token_perplexity")
    m.higher_is_better = false;
  return m;
}

FilterPipeline parse_filter(const std::string& src, const YAML::Node& n) {
  if (!n.IsMap() || !n["filter"]) bad(src, n, "each filter_list entry needs 'name' and 'filter'");
  check_keys(src, n, " in a filter_list entry", {"name", "filter"});
  FilterPipeline p;
  if (n["name"]) p.name = scalar(src, n["name"], "name");
  if (!n["filter"].IsSequence()) bad(src, n["filter"], "'filter' must be a list of steps");
  for (const auto& s : n["filter"]) {
    if (!s.IsMap() || !s["function"]) bad(src, s, "filter step without 'function'");
    check_keys(src, s, " in a filter step", {"function", "regex_pattern", "group_select", "fallback"});
    FilterStep st;
    st.function = scalar(src, s["function"], "function");
    if (st.function != "regex" && st.function != "take_first" && st.function != "majority_vote" &&
        st.function != "lowercase" && st.function != "uppercase" && st.function != "strip" &&
        st.function != "remove_whitespace")
      bad(src, s["function"], "unknown filter function '" + st.function + "'");
    if (s["regex_pattern"]) st.regex_pattern = scalar(src, s["regex_pattern"], "regex_pattern");
    if (s["group_select"]) st.group_select = integer(src, s["group_select"], "group_select");
    if (s["fallback"]) st.fallback = scalar(src, s["fallback"], "fallback");
    if (st.function == "regex" && st.regex_pattern.empty()) bad(src, s, "regex filter needs 'regex_pattern'");
    p.steps.push_back(st);
  }
  return p;
}

std::string substitute(const std::string& s, const TaskEnv& env, const std::string& src, const YAML::Node& n) {
  std::string out = s;
  const std::string key = "${EVAL_DATA}";
  size_t pos = out.find(key);
  if (pos != std::string::npos) {
    if (env.eval_data.empty())
      bad(src, n, "dataset_path uses ${EVAL_DATA}: pass --data-dir DIR or set HEARTH_EVAL_DATA");
    out.replace(pos, key.size(), env.eval_data.string());
  }
  return out;
}

}  // namespace

const char* output_type_name(OutputType t) {
  switch (t) {
    case OutputType::loglikelihood: return "loglikelihood";
    case OutputType::multiple_choice: return "multiple_choice";
    case OutputType::loglikelihood_rolling: return "loglikelihood_rolling";
    case OutputType::generate_until: return "generate_until";
  }
  return "?";
}

namespace {

YAML::Node load_yaml(const std::string& text, const std::string& src) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(Errc::format, src + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
}

YAML::Node load_yaml_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) fail(Errc::not_found, file.string() + ": no such task file");
  std::ifstream f(file, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  if (!f) fail(Errc::io, file.string() + ": cannot read");
  if (ss.str().size() > (4u << 20)) fail(Errc::out_of_range, file.string() + ": task file larger than 4 MiB");
  return load_yaml(ss.str(), file.string());
}

// `include: FILE` (relative to the including file): the included mapping's keys are defaults that
// the including file overrides, as in lm-eval; includes may nest.
YAML::Node resolve_includes(const YAML::Node& node, const std::filesystem::path& dir, const std::string& src, int depth) {
  if (!node.IsMap() || !node["include"]) return node;
  if (depth >= 8) bad(src, node["include"], "includes nest deeper than 8 (an include cycle?)");
  const std::filesystem::path inc = dir / scalar(src, node["include"], "include");
  YAML::Node base = resolve_includes(load_yaml_file(inc), inc.parent_path(), inc.string(), depth + 1);
  if (!base.IsMap()) bad(src, node["include"], inc.string() + " is not a YAML mapping");
  YAML::Node merged = YAML::Clone(base);
  for (const auto& kv : node)
    if (kv.first.Scalar() != "include") merged[kv.first.Scalar()] = kv.second;
  return merged;
}

TaskConfig parse_task_node(const YAML::Node& root, const std::string& src, const std::filesystem::path& base_dir,
                           const TaskEnv& env);

}  // namespace

TaskConfig parse_task_yaml(const std::string& text, const std::string& src, const std::filesystem::path& base_dir,
                           const TaskEnv& env) {
  return parse_task_node(resolve_includes(load_yaml(text, src), base_dir, src, 0), src, base_dir, env);
}

std::vector<TaskConfig> load_task_file(const std::filesystem::path& file, const TaskEnv& env, std::vector<TaskGroup>* groups,
                                       const ResolveName& resolve_name) {
  const std::string src = file.string();
  const std::filesystem::path dir = std::filesystem::absolute(file).parent_path();
  YAML::Node root = resolve_includes(load_yaml_file(file), dir, src, 0);
  if (!root.IsMap()) fail(Errc::format, src + ":1: a task file must be a YAML mapping");
  const bool is_group = root["group"] && root["group"].IsScalar() && root["task"] && root["task"].IsSequence();
  if (!is_group) return {parse_task_node(root, src, dir, env)};

  // A group: group: NAME, task: [members], aggregate_metric_list.
  refuse_functions(src, root, "group");
  check_keys(src, root, " in a group file", {"group", "group_alias", "task", "aggregate_metric_list", "metadata", "tag"});
  TaskGroup g;
  g.name = root["group"].Scalar();
  std::vector<TaskConfig> out;
  for (const auto& m : root["task"]) {
    std::vector<TaskConfig> got;
    if (m.IsScalar()) {
      // A task file next to the group file, else a built-in task or group.
      std::error_code ec;
      std::filesystem::path near = dir / m.Scalar();
      if (std::filesystem::is_regular_file(near, ec)) got = load_task_file(near, env, groups, resolve_name);
      else if (std::filesystem::is_regular_file(near.string() + ".yaml", ec))
        got = load_task_file(near.string() + ".yaml", env, groups, resolve_name);
      else {
        try {
          got = resolve_name(m.Scalar(), groups);
        } catch (const Error& e) {
          bad(src, m, "member '" + m.Scalar() + "': " + e.what());
        }
      }
    } else if (m.IsMap()) {
      got = {parse_task_node(resolve_includes(m, dir, src, 0), src, dir, env)};
    } else {
      bad(src, m, "each entry of 'task' must be a task name, a task file or a task mapping");
    }
    for (auto& t : got) {
      if (t.group.empty()) t.group = g.name;
      g.tasks.push_back(t.name);
      out.push_back(std::move(t));
    }
  }
  if (g.tasks.empty()) bad(src, root["task"], "group '" + g.name + "' has no tasks");
  if (const YAML::Node& agg = root["aggregate_metric_list"]) {
    if (!agg.IsSequence()) bad(src, agg, "'aggregate_metric_list' must be a list");
    bool weight = true;
    for (const auto& a : agg) {
      if (!a.IsMap() || !a["metric"]) bad(src, a, "each aggregate_metric_list entry needs 'metric'");
      check_keys(src, a, " in an aggregate_metric_list entry", {"metric", "aggregation", "weight_by_size", "filter_list"});
      g.metrics.push_back(scalar(src, a["metric"], "metric"));
      if (a["aggregation"] && scalar(src, a["aggregation"], "aggregation") != "mean")
        bad(src, a["aggregation"], "only the 'mean' aggregation of a group is supported");
      if (a["weight_by_size"]) weight = boolean(src, a["weight_by_size"], "weight_by_size");
    }
    g.weight_by_size = weight;
  }
  if (groups) groups->push_back(g);
  return out;
}

namespace {

TaskConfig parse_task_node(const YAML::Node& root, const std::string& src, const std::filesystem::path& base_dir,
                           const TaskEnv& env) {
  if (!root.IsMap()) fail(Errc::format, src + ":1: a task file must be a YAML mapping");
  TaskConfig t;
  t.source = src;
  t.raw = to_json(root);
  if (!root["task"]) fail(Errc::format, src + ":1: missing 'task' (the task's name)");
  t.name = scalar(src, root["task"], "task");
  refuse_functions(src, root, "task");
  bool have_output = false;
  std::string raw_dataset_path;
  YAML::Node data_files_node;
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "task") continue;  // read above
    if (key == "dataset_path") {
      raw_dataset_path = scalar(src, v, key.c_str());
      t.dataset_path = substitute(raw_dataset_path, env, src, v);
      if (t.dataset_path.rfind("builtin:", 0) != 0 && std::filesystem::path(t.dataset_path).is_relative())
        t.dataset_path = (base_dir / t.dataset_path).string();
    } else if (key == "dataset_name") t.dataset_name = v.IsNull() ? "" : scalar(src, v, "dataset_name");
    else if (key == "training_split") t.training_split = v.IsNull() ? "" : scalar(src, v, "training_split");
    else if (key == "validation_split") t.validation_split = v.IsNull() ? "" : scalar(src, v, "validation_split");
    else if (key == "test_split") t.test_split = v.IsNull() ? "" : scalar(src, v, "test_split");
    else if (key == "fewshot_split") t.fewshot_split = v.IsNull() ? "" : scalar(src, v, "fewshot_split");
    else if (key == "doc_to_text") t.doc_to_text = scalar(src, v, "doc_to_text");
    else if (key == "doc_to_target") t.doc_to_target = scalar(src, v, "doc_to_target");
    else if (key == "doc_to_choice") {
      t.has_choices = true;
      if (v.IsSequence()) t.choice_list = string_list(src, v, "doc_to_choice");
      else t.doc_to_choice = scalar(src, v, "doc_to_choice");
    } else if (key == "description") t.description = scalar(src, v, "description");
    else if (key == "target_delimiter") t.target_delimiter = scalar(src, v, "target_delimiter");
    else if (key == "fewshot_delimiter") t.fewshot_delimiter = scalar(src, v, "fewshot_delimiter");
    else if (key == "num_fewshot") {
      t.num_fewshot = integer(src, v, "num_fewshot");
      if (t.num_fewshot < 0) bad(src, v, "'num_fewshot' must be >= 0");
    } else if (key == "fewshot_config") {
      if (!v.IsMap()) bad(src, v, "'fewshot_config' must be a mapping");
      for (const auto& f : v) {
        const std::string fk = f.first.Scalar();
        if (fk == "samples" || fk == "doc_to_text" || fk == "doc_to_target" || fk == "doc_to_choice" ||
            fk == "fewshot_indices")
          bad(src, f.first, "fewshot_config." + fk + " is not supported yet");
      }
      check_keys(src, v, " in fewshot_config", {"sampler", "seed", "split"});
      if (v["sampler"]) {
        t.fewshot_sampler = scalar(src, v["sampler"], "sampler");
        if (t.fewshot_sampler != "default" && t.fewshot_sampler != "first_n" && t.fewshot_sampler != "random")
          bad(src, v["sampler"], "unknown fewshot sampler '" + t.fewshot_sampler + "' (default, first_n, random)");
      }
      if (v["seed"]) t.fewshot_seed = static_cast<uint64_t>(integer(src, v["seed"], "seed"));
      if (v["split"]) t.fewshot_split = scalar(src, v["split"], "split");
    } else if (key == "output_type") {
      t.output_type = parse_output_type(src, v);
      have_output = true;
    } else if (key == "generation_kwargs") {
      if (!v.IsMap()) bad(src, v, "'generation_kwargs' must be a mapping");
      check_keys(src, v, " in generation_kwargs", {"until", "max_gen_toks", "temperature", "do_sample"});
      if (v["until"]) t.generation.until = string_list(src, v["until"], "until");
      if (v["max_gen_toks"]) {
        t.generation.max_gen_toks = integer(src, v["max_gen_toks"], "max_gen_toks");
        if (t.generation.max_gen_toks < 1 || t.generation.max_gen_toks > 1 << 16)
          bad(src, v["max_gen_toks"], "'max_gen_toks' must be between 1 and 65536");
      }
      if (v["temperature"]) t.generation.temperature = number(src, v["temperature"], "temperature");
      if (v["do_sample"]) t.generation.do_sample = boolean(src, v["do_sample"], "do_sample");
    } else if (key == "filter_list") {
      if (!v.IsSequence()) bad(src, v, "'filter_list' must be a list");
      for (const auto& f : v) t.filters.push_back(parse_filter(src, f));
    } else if (key == "metric_list") {
      if (!v.IsSequence()) bad(src, v, "'metric_list' must be a list");
      for (const auto& m : v) t.metrics.push_back(parse_metric(src, m));
    } else if (key == "repeats") {
      t.repeats = integer(src, v, "repeats");
      if (t.repeats < 1 || t.repeats > 1000) bad(src, v, "'repeats' must be between 1 and 1000");
    } else if (key == "metadata") {
      if (v.IsMap() && v["version"]) t.version = number(src, v["version"], "version");
    } else if (key == "rolling_method") {
      t.rolling_method = scalar(src, v, "rolling_method");
      if (t.rolling_method != "lm_eval" && t.rolling_method != "llama_perplexity")
        bad(src, v, "unknown rolling_method '" + t.rolling_method + "' (lm_eval or llama_perplexity)");
    } else if (key == "rolling_context") {
      t.rolling_context = integer(src, v, "rolling_context");
      if (t.rolling_context != 0 && (t.rolling_context < 8 || t.rolling_context > 1 << 20))
        bad(src, v, "'rolling_context' must be 0 or between 8 and 1048576");
    } else if (key == "group") {
      // A scalar names the built-in group a generated member belongs to (mmlu subjects); a list is
      // lm-eval's older spelling of `tag`.
      if (v.IsScalar()) t.group = v.Scalar();
    } else if (key == "dataset_kwargs") {
      // data_files (local files per split); trust_remote_code concerns the Hugging Face loader only.
      if (!v.IsMap()) bad(src, v, "'dataset_kwargs' must be a mapping");
      for (const auto& d : v) {
        const std::string dk = d.first.Scalar();
        if (dk == "trust_remote_code") continue;
        if (dk != "data_files")
          bad(src, d.first, "dataset_kwargs." + dk + " is not supported yet (point dataset_path at a local file or folder)");
        // A file or a list of files is the train split, as in Hugging Face's loader; a mapping
        // names the splits. Relative paths are relative to the task file.
        auto files_of = [&](const YAML::Node& n) {
          std::vector<std::string> out;
          for (const auto& f : string_list(src, n, "data_files")) {
            std::filesystem::path p(f);
            out.push_back((p.is_relative() ? base_dir / p : p).lexically_normal().string());
          }
          return out;
        };
        if (d.second.IsMap()) {
          for (const auto& sp : d.second) t.data_files[sp.first.Scalar()] = files_of(sp.second);
        } else {
          t.data_files["train"] = files_of(d.second);
        }
        if (t.data_files.empty()) bad(src, d.second, "dataset_kwargs.data_files names no files");
        data_files_node = d.first;
      }
    } else if (key == "process_docs" || key == "process_results") {
      const std::string name = v.IsScalar() ? v.Scalar() : "";
      if (v.Tag() != "!function" || name.empty())
        bad(src, v, "'" + key + "' must be '!function NAME', one of hearth's built-in functions: " + task_function_list(key));
      if (!find_task_function(key, name, t.name))
        bad(src, v, "unknown function '" + name + "' for " + key + " of task '" + t.name + "' (hearth's built-in functions: " +
                        task_function_list(key) + "; docs/eval.md lists them)");
      (key == "process_docs" ? t.process_docs : t.process_results) = name;
    } else if (std::find_if(std::begin(kInertKeys), std::end(kInertKeys), [&](const char* k) { return key == k; }) ==
               std::end(kInertKeys)) {
      for (const auto& r : kRefusedKeys)
        if (key == r.key) bad(src, kv.first, "'" + key + "': " + r.why);
      unknown_key(src, kv.first, "",
                  {"task", "dataset_path", "dataset_name", "dataset_kwargs", "training_split", "validation_split",
                   "test_split", "fewshot_split", "doc_to_text", "doc_to_target", "doc_to_choice", "description",
                   "target_delimiter", "fewshot_delimiter", "num_fewshot", "fewshot_config", "output_type",
                   "generation_kwargs", "filter_list", "metric_list", "repeats", "metadata", "tag", "task_alias",
                   "group", "should_decontaminate", "doc_to_decontamination_query", "rolling_method",
                   "rolling_context", "process_docs", "process_results"});
    }
  }
  if (t.dataset_path.empty()) fail(Errc::format, src + ":1: missing 'dataset_path'");
  if (!t.data_files.empty()) {
    // dataset_path is then the builder's name, not a path.
    if (raw_dataset_path == "parquet")
      bad(src, data_files_node,
          "dataset_path parquet: hearth reads JSON, JSON Lines and CSV; convert the files with `node "
          "scripts/parquet-to-jsonl.mjs FILE.parquet` (docs/eval.md) and use dataset_path json");
    if (raw_dataset_path != "json" && raw_dataset_path != "csv")
      bad(src, data_files_node, "dataset_kwargs.data_files needs dataset_path json or csv (got '" + raw_dataset_path + "')");
    t.dataset_path = raw_dataset_path;
  }
  if (!have_output) fail(Errc::format, src + ":1: missing 'output_type'");
  if (t.test_split.empty() && t.validation_split.empty())
    t.test_split = "test";  // a single file has one split whatever it is called
  if (t.doc_to_text.empty() && t.output_type != OutputType::loglikelihood_rolling)
    fail(Errc::format, src + ":1: missing 'doc_to_text'");
  if (t.output_type == OutputType::multiple_choice && !t.has_choices)
    fail(Errc::format, src + ":1: output_type multiple_choice needs 'doc_to_choice'");
  if (t.doc_to_target.empty()) fail(Errc::format, src + ":1: missing 'doc_to_target'");
  // Default metrics per output type, as the harness does when metric_list is absent.
  if (t.metrics.empty()) {
    auto add = [&](const char* n, bool hib) { t.metrics.push_back({.name = n, .aggregation = "mean", .higher_is_better = hib}); };
    switch (t.output_type) {
      case OutputType::loglikelihood: add("perplexity", false); add("acc", true); break;
      case OutputType::multiple_choice: add("acc", true); add("acc_norm", true); break;
      case OutputType::loglikelihood_rolling:
        add("word_perplexity", false); add("byte_perplexity", false); add("bits_per_byte", false); break;
      case OutputType::generate_until: add("exact_match", true); break;
    }
  }
  for (const auto& m : t.metrics) {
    bool rolling_metric = m.name == "word_perplexity" || m.name == "byte_perplexity" || m.name == "bits_per_byte" ||
                          m.name == "token_perplexity";
    bool choice_metric = m.name == "acc_norm";
    bool gen_metric = m.name == "exact_match" || m.name == "contains" || m.name == "regex_match" ||
                      m.name == "llm_judge" || m.name == "refusal_match";
    bool ok = true;
    if (rolling_metric) ok = t.output_type == OutputType::loglikelihood_rolling;
    if (choice_metric) ok = t.output_type == OutputType::multiple_choice;
    if (gen_metric) ok = t.output_type == OutputType::generate_until;
    if (m.name == "perplexity") ok = t.output_type == OutputType::loglikelihood;
    if (m.name == "acc") ok = t.output_type == OutputType::multiple_choice || t.output_type == OutputType::loglikelihood;
    if (!ok)
      fail(Errc::format, src + ": metric '" + m.name + "' does not apply to output_type " + output_type_name(t.output_type));
  }
  if (t.filters.empty()) t.filters.push_back({});  // "none": the raw answer
  return t;
}

}  // namespace

}  // namespace hearth::eval
