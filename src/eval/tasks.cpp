// Task lookup: built-in names, groups (expanded to their members) and YAML files on disk.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "eval/builtin.h"
#include "eval/custom.h"
#include "eval/task.h"

namespace hearth::eval {
namespace fs = std::filesystem;

std::vector<BuiltinInfo> list_builtin_tasks() {
  std::vector<BuiltinInfo> out;
  for (const auto& [name, t] : builtin_tasks()) out.push_back({name, t.description, !t.members.empty() || !t.generated.empty()});
  return out;
}

std::string builtin_task_yaml(const std::string& name) {
  const auto& reg = builtin_tasks();
  if (auto it = reg.find(name); it != reg.end()) {
    const BuiltinTask& t = it->second;
    if (!t.yaml.empty()) return t.yaml;
    std::string out = "group: " + name + "\ntask:\n";
    for (const auto& m : t.members) out += "  - " + m + "\n";
    for (const auto& [m, yaml] : t.generated) out += "  - " + m + "\n";
    return out;
  }
  for (const auto& [group, t] : reg)
    for (const auto& [m, yaml] : t.generated)
      if (m == name) return yaml;
  fail(Errc::not_found, "no built-in task named '" + name + "' (hearth eval list shows them)");
}

std::string absolute_task_spec(const std::string& spec) {
  std::error_code ec;
  // custom[-SCORING]:FILE and safety:FILE carry a file after the colon.
  const size_t colon = spec.find(':');
  if (colon != std::string::npos && (spec.rfind("custom", 0) == 0 || spec.rfind("safety:", 0) == 0)) {
    const std::string file = spec.substr(colon + 1);
    return fs::is_regular_file(file, ec) ? spec.substr(0, colon + 1) + fs::absolute(file).string() : spec;
  }
  return fs::is_regular_file(spec, ec) ? fs::absolute(spec).string() : spec;
}

namespace {

// What the YAML files under the include paths define: task and group names, and tags.
struct IncludeIndex {
  std::map<std::string, fs::path> names;
  std::map<std::string, std::vector<fs::path>> tags;
};

IncludeIndex index_include_paths(const std::vector<fs::path>& roots) {
  IncludeIndex idx;
  for (const auto& root : roots) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) fail(Errc::not_found, "--include-path " + root.string() + ": not a folder");
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto ext = it->path().extension();
      if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());  // the first definition of a name wins, in path order
    for (const auto& f : files) {
      YAML::Node n;
      try {
        n = YAML::LoadFile(f.string());
      } catch (const YAML::Exception&) {
        continue;  // reported if it is ever selected by path
      }
      if (!n.IsMap()) continue;
      for (const char* key : {"task", "group"})
        if (n[key] && n[key].IsScalar()) idx.names.emplace(n[key].Scalar(), f);
      if (auto t = n["tag"]; t && t.IsScalar()) idx.tags[t.Scalar()].push_back(f);
      else if (t && t.IsSequence())
        for (const auto& v : t)
          if (v.IsScalar()) idx.tags[v.Scalar()].push_back(f);
    }
  }
  return idx;
}

}  // namespace

std::vector<TaskConfig> resolve_tasks(const std::string& spec, const TaskEnv& env, std::vector<TaskGroup>* groups) {
  const auto& reg = builtin_tasks();
  if (spec.rfind("custom", 0) == 0 && spec.find(':') != std::string::npos) {
    size_t colon = spec.find(':');
    std::string head = spec.substr(0, colon), file = spec.substr(colon + 1);
    std::string scoring = head == "custom" ? "exact" : head.rfind("custom-", 0) == 0 ? head.substr(7) : "";
    if (scoring.empty()) fail(Errc::invalid_argument, "task '" + spec + "': expected custom[-exact|-contains|-regex|-judge]:FILE");
    return {parse_task_yaml(custom_task_yaml(scoring, fs::absolute(file).string(), env.judge_model), spec, fs::current_path(), env)};
  }
  if (spec.rfind("safety:", 0) == 0) {
    std::string file = spec.substr(7);
    auto t = parse_task_yaml(safety_task_yaml("safety_" + fs::path(file).stem().string(), fs::absolute(file).string(), env.judge_model),
                             spec, fs::current_path(), env);
    t.safety = true;
    return {t};
  }
  auto it = reg.find(spec);
  if (it != reg.end()) {
    const BuiltinTask& b = it->second;
    if (spec == "safety_example") {
      auto t = parse_task_yaml(safety_task_yaml(spec, "builtin:safety_example.jsonl", env.judge_model), "builtin:" + spec,
                               fs::current_path(), env);
      t.safety = true;
      return {t};
    }
    if (!b.yaml.empty()) return {parse_task_yaml(b.yaml, "builtin:" + spec, fs::current_path(), env)};
    std::vector<TaskConfig> out;
    TaskGroup g{spec, {}};
    for (const auto& [name, yaml] : b.generated) {
      out.push_back(parse_task_yaml(yaml, "builtin:" + name, fs::current_path(), env));
      out.back().group = spec;
      g.tasks.push_back(out.back().name);
    }
    for (const auto& m : b.members) {
      auto sub = resolve_tasks(m, env, nullptr);
      for (auto& t : sub) {
        t.group = spec;
        g.tasks.push_back(t.name);
        out.push_back(std::move(t));
      }
    }
    if (groups) groups->push_back(g);
    return out;
  }
  // A group member by name (mmlu_anatomy).
  for (const auto& [gname, b] : reg)
    for (const auto& [name, yaml] : b.generated)
      if (name == spec) return {parse_task_yaml(yaml, "builtin:" + name, fs::current_path(), env)};
  auto resolve_name = [&env](const std::string& name, std::vector<TaskGroup>* g) { return resolve_tasks(name, env, g); };
  std::error_code ec;
  if (fs::is_regular_file(spec, ec)) return load_task_file(spec, env, groups, resolve_name);
  if (!env.include_paths.empty()) {
    const IncludeIndex idx = index_include_paths(env.include_paths);
    if (auto it = idx.names.find(spec); it != idx.names.end()) return load_task_file(it->second, env, groups, resolve_name);
    if (auto it = idx.tags.find(spec); it != idx.tags.end()) {
      std::vector<TaskConfig> out;
      for (const auto& f : it->second)
        for (auto& t : load_task_file(f, env, groups, resolve_name)) out.push_back(std::move(t));
      return out;
    }
  }
  std::string names;
  for (const auto& [n, b] : reg) names += (names.empty() ? "" : ", ") + n;
  fail(Errc::not_found, "unknown task '" + spec + "': not a built-in (" + names + ")" +
                            (env.include_paths.empty() ? "" : ", a task, group or tag under --include-path,") + " nor a YAML file");
}

}  // namespace hearth::eval
