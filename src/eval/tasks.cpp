// Task lookup: built-in names, groups (expanded to their members) and YAML files on disk.
#include <filesystem>
#include <fstream>
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
  std::error_code ec;
  if (!fs::is_regular_file(spec, ec)) {
    std::string names;
    for (const auto& [n, b] : reg) names += (names.empty() ? "" : ", ") + n;
    fail(Errc::not_found, "unknown task '" + spec + "': not a built-in (" + names + ") nor a YAML file");
  }
  return load_task_file(spec, env, groups, [&env](const std::string& name, std::vector<TaskGroup>* g) {
    return resolve_tasks(name, env, g);
  });
}

}  // namespace hearth::eval
