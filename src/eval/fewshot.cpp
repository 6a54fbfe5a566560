#include "eval/fewshot.h"

#include <algorithm>
#include <random>

#include "core/error.h"

namespace hearth::eval {
namespace {

[[noreturn]] void too_few(int k, size_t have) {
  fail(Errc::invalid_argument, std::to_string(k) + "-shot needs " + std::to_string(k) +
                                   " examples but the few-shot split has " + std::to_string(have));
}

}  // namespace

FewshotSampler::FewshotSampler(const std::vector<Doc>& pool, std::string sampler, uint64_t seed, bool same_split)
    : pool_(pool), sampler_(std::move(sampler)), seed_(seed), same_split_(same_split), rng_(seed) {}

std::vector<const Doc*> FewshotSampler::pick(const Doc& doc, int k, size_t doc_index) {
  if (k <= 0) return {};
  if (sampler_ == "default") {
    size_t n = static_cast<size_t>(k) + (same_split_ ? 1 : 0);
    if (n > pool_.size()) too_few(k, pool_.size() - (same_split_ ? 1 : 0));
    std::vector<const Doc*> out;
    for (size_t i : rng_.sample(pool_.size(), n))
      if (pool_[i].origin != doc.origin && out.size() < static_cast<size_t>(k)) out.push_back(&pool_[i]);
    return out;
  }
  std::vector<const Doc*> cand;
  for (const auto& d : pool_)
    if (d.origin != doc.origin) cand.push_back(&d);
  if (static_cast<size_t>(k) > cand.size()) too_few(k, cand.size());
  if (sampler_ == "first_n") {
    cand.resize(k);
    return cand;
  }
  // random: one generator per document, seeded from the task seed and the document's index.
  std::mt19937_64 rng(seed_ * 1000003ull + doc_index);
  for (int i = 0; i < k; ++i) {
    std::uniform_int_distribution<size_t> d(i, cand.size() - 1);
    std::swap(cand[i], cand[d(rng)]);
  }
  cand.resize(k);
  return cand;
}

}  // namespace hearth::eval
