// Picks the few-shot examples for each document, as lm-evaluation-harness does:
// - default: random.Random(seed).sample(pool, n) drawn once per document in document order (one
//   generator for the whole task, so the same documents get the same examples as in lm-eval);
//   n is one more than asked when the pool is the evaluated split, and the document itself is
//   dropped from what was drawn;
// - first_n: the first n of the pool (the document itself skipped);
// - random (hearth): a sample seeded per document, so it does not depend on the order documents
//   are planned in.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "eval/dataset.h"
#include "eval/python_random.h"

namespace hearth::eval {

class FewshotSampler {
 public:
  // `same_split`: the pool is the split being evaluated.
  FewshotSampler(const std::vector<Doc>& pool, std::string sampler, uint64_t seed, bool same_split);
  // Call for documents in order (index 0, 1, ...): the default sampler's draws depend on it.
  std::vector<const Doc*> pick(const Doc& doc, int k, size_t doc_index);

 private:
  const std::vector<Doc>& pool_;
  std::string sampler_;
  uint64_t seed_;
  bool same_split_;
  PythonRandom rng_;
};

}  // namespace hearth::eval
