// Built-in tasks: YAML text compiled into the binary, one file per task (task_*.cpp), each
// registering itself. Data paths inside them use ${EVAL_DATA}.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace hearth::eval {

struct BuiltinTask {
  std::string name;
  std::string description;
  std::string yaml;                 // empty for groups
  std::vector<std::string> members; // groups: member task names
  // Groups may generate their members: name -> yaml.
  std::vector<std::pair<std::string, std::string>> generated;
};

std::map<std::string, BuiltinTask>& builtin_registry();
// Embedded data files a built-in task reads as "builtin:NAME" (the safety example set).
std::map<std::string, std::string>& builtin_data();

struct BuiltinRegistrar {
  explicit BuiltinRegistrar(BuiltinTask t) { builtin_registry()[t.name] = std::move(t); }
};
struct BuiltinDataRegistrar {
  BuiltinDataRegistrar(const char* name, const char* text) { builtin_data()[name] = text; }
};

// Static libraries drop objects nothing references; this references every task_*.cpp.
void link_builtin_tasks();

}  // namespace hearth::eval
