// Picks the few-shot examples for a document: the first n of the few-shot pool (first_n), or a
// seeded random sample of it (random/default), never the document itself.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "eval/dataset.h"

namespace hearth::eval {

std::vector<const Doc*> pick_fewshot(const std::vector<Doc>& pool, const Doc& doc, int k, const std::string& sampler,
                                     uint64_t seed, size_t doc_index);

}  // namespace hearth::eval
