#include "eval/fewshot.h"

#include <algorithm>
#include <random>

#include "core/error.h"

namespace hearth::eval {

std::vector<const Doc*> pick_fewshot(const std::vector<Doc>& pool, const Doc& doc, int k, const std::string& sampler,
                                     uint64_t seed, size_t doc_index) {
  std::vector<const Doc*> cand;
  for (const auto& d : pool)
    if (d.origin != doc.origin) cand.push_back(&d);
  if (k <= 0) return {};
  if (static_cast<size_t>(k) > cand.size())
    fail(Errc::invalid_argument, std::to_string(k) + "-shot needs " + std::to_string(k) + " examples but the few-shot split has " +
                                     std::to_string(cand.size()));
  if (sampler == "first_n") {
    cand.resize(k);
    return cand;
  }
  // One generator per document, seeded from the task seed and the document's index, so the
  // choice does not depend on which documents ran before (resumed runs pick the same).
  std::mt19937_64 rng(seed * 1000003ull + doc_index);
  for (int i = 0; i < k; ++i) {
    std::uniform_int_distribution<size_t> d(i, cand.size() - 1);
    std::swap(cand[i], cand[d(rng)]);
  }
  cand.resize(k);
  return cand;
}

}  // namespace hearth::eval
