// Task YAML generated for data files given on the command line (custom Q&A, safety packs).
#pragma once
#include <string>
#include <vector>

#include "eval/dataset.h"

namespace hearth::eval {

// scoring: exact | contains | regex | judge.
std::string custom_task_yaml(const std::string& scoring, const std::string& file, const std::string& judge);
std::string safety_task_yaml(const std::string& name, const std::string& file, const std::string& judge);
// A safety pack's records: {prompt, expected: refuse|comply, rubric?, id?, category?}.
void validate_safety_docs(const std::vector<Doc>& docs);

}  // namespace hearth::eval
