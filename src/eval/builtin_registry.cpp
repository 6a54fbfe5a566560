#include "eval/builtin.h"

namespace hearth::eval {
namespace {

// The registration list: one line per task file.
using TasksFn = std::vector<BuiltinTask> (*)();
const TasksFn kTaskFiles[] = {
    gsm8k_tasks,
    mmlu_tasks,
    truthfulqa_tasks,
    wikitext_tasks,
    safety_tasks,
};

std::map<std::string, BuiltinTask> collect() {
  std::map<std::string, BuiltinTask> out;
  for (TasksFn fn : kTaskFiles)
    for (BuiltinTask& t : fn()) out[t.name] = std::move(t);
  return out;
}

}  // namespace

const std::map<std::string, BuiltinTask>& builtin_tasks() {
  static const std::map<std::string, BuiltinTask> tasks = collect();
  return tasks;
}

const std::map<std::string, std::string>& builtin_data() {
  static const std::map<std::string, std::string> data = [] {
    std::map<std::string, std::string> d;
    for (const auto& [name, t] : builtin_tasks())
      for (const auto& [file, text] : t.data) d[file] = text;
    return d;
  }();
  return data;
}

}  // namespace hearth::eval
