// The functions task files may name with `!function` (lm-eval imports them from Python next to
// the task; hearth runs no Python, so the ones lm-eval's common tasks use are built in here).
// `process_docs` rewrites each document of every split before anything is rendered;
// `process_results` turns a document's log-likelihood answers into its metrics.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"

namespace hearth::eval {

using ProcessDocsFn = std::function<ordered_json(const ordered_json& doc)>;
// results: one (log-likelihood, is_greedy) per choice, in doc_to_choice order.
using ProcessResultsFn =
    std::function<std::map<std::string, double>(const ordered_json& doc, const std::vector<std::pair<double, bool>>& results)>;

struct TaskFunction {
  const char* name;         // as written after !function, e.g. "utils.process_results_mc2"
  const char* task_prefix;  // the tasks it belongs to when the name is shared ("" = any)
  const char* what;         // one line for docs and errors
  ProcessDocsFn docs;       // set for process_docs functions
  ProcessResultsFn results; // set for process_results functions
};

const std::vector<TaskFunction>& task_functions();
// The function `name` for the key ("process_docs" or "process_results") of task `task`, or nullptr.
const TaskFunction* find_task_function(const std::string& key, const std::string& name, const std::string& task);
// "name (what)" of every function for that key, for errors.
std::string task_function_list(const std::string& key);

}  // namespace hearth::eval
