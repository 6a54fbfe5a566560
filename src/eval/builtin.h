// Built-in tasks: YAML text compiled into the binary. Each task file (task_*.cpp) has a function
// returning its tasks; builtin_registry.cpp lists those functions, one line each. Data paths
// inside the YAML use ${EVAL_DATA}.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hearth::eval {

struct BuiltinTask {
  std::string name;
  std::string description;
  std::string yaml;                 // empty for groups
  std::vector<std::string> members; // groups: member task names
  // Groups may generate their members: name -> yaml.
  std::vector<std::pair<std::string, std::string>> generated;
  // Embedded data files the task reads as "builtin:NAME": name -> contents.
  std::vector<std::pair<std::string, std::string>> data;
};

// Every built-in task by name, and every embedded data file by name (immutable, built on first use).
const std::map<std::string, BuiltinTask>& builtin_tasks();
const std::map<std::string, std::string>& builtin_data();

// One function per task file.
std::vector<BuiltinTask> gsm8k_tasks();
std::vector<BuiltinTask> mmlu_tasks();
std::vector<BuiltinTask> truthfulqa_tasks();
std::vector<BuiltinTask> wikitext_tasks();
std::vector<BuiltinTask> safety_tasks();

}  // namespace hearth::eval
