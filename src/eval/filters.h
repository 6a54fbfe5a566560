// The harness's answer filters: a pipeline of steps over a document's responses (several when
// the task repeats), ending in the one answer that metrics score.
#pragma once
#include <string>
#include <vector>

#include "eval/task.h"

namespace hearth::eval {

// Applies the steps in order; returns the filtered responses (the first is scored).
std::vector<std::string> apply_filter(const FilterPipeline& p, std::vector<std::string> responses);

}  // namespace hearth::eval
