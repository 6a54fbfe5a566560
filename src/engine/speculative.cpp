#include "engine/speculative.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "engine/loader.h"

namespace hearth::engine {

void validate_speculative(const SpeculativeOptions& o) {
  if (o.draft_max < 1) fail(Errc::invalid_argument, "--draft-max must be at least 1");
  if (o.draft_min < 0) fail(Errc::invalid_argument, "--draft-min must not be negative");
}

void require_one_drafter(const std::string& draft_model, int64_t lookup_ngram) {
  if (!draft_model.empty() && lookup_ngram > 0) fail(Errc::invalid_argument, "give --draft-model or --lookup-ngram, not both");
}

LookupDrafter::LookupDrafter(int64_t ngram) : ngram_(ngram) {
  if (ngram < 1) fail(Errc::invalid_argument, "--lookup-ngram must be at least 1, got " + std::to_string(ngram));
}

std::vector<int32_t> LookupDrafter::draft(std::span<const int32_t> h, int64_t max) {
  const int64_t n = static_cast<int64_t>(h.size()), g = ngram_;
  if (max < 1 || n <= g) return {};
  // The latest earlier occurrence of the last g tokens, and what followed it.
  for (int64_t j = n - g - 1; j >= 0; --j) {
    if (!std::equal(h.begin() + j, h.begin() + j + g, h.end() - g)) continue;
    const int64_t from = j + g, to = std::min(n, from + max);
    return std::vector<int32_t>(h.begin() + from, h.begin() + to);
  }
  return {};
}

namespace {

std::shared_ptr<const model::Model> same_vocabulary(std::shared_ptr<const model::Model> draft, const model::Model& target) {
  if (draft->n_vocab() != target.n_vocab())
    fail(Errc::invalid_argument, "the draft model's vocabulary has " + std::to_string(draft->n_vocab()) +
                                     " tokens and the target's " + std::to_string(target.n_vocab()) +
                                     ": a draft model must share the target's vocabulary");
  return draft;
}

SessionOptions without_shift(SessionOptions o) {
  o.context_shift = false;  // the target decides what the context holds
  return o;
}

}  // namespace

ModelDrafter::ModelDrafter(std::shared_ptr<const model::Model> draft, std::shared_ptr<const tokenizer::Tokenizer> tok,
                           const model::Model& target, SessionOptions opts, float p_min)
    : session_(same_vocabulary(std::move(draft), target), std::move(tok), without_shift(opts)), p_min_(p_min) {
  if (!(p_min >= 0.0f && p_min <= 1.0f)) fail(Errc::invalid_argument, "--draft-p-min must be within [0, 1]");
}

std::vector<int32_t> ModelDrafter::draft(std::span<const int32_t> history, int64_t max) {
  std::vector<int32_t> out;
  if (max < 1 || history.empty() || static_cast<int64_t>(history.size()) + max - 1 > session_.n_ctx()) return out;
  const std::vector<float>* l = &session_.prompt(history);
  const auto n_vocab = static_cast<int32_t>(session_.model().n_vocab());
  for (int64_t i = 0; i < max; ++i) {
    const int32_t best = sampling::argmax(l->data(), n_vocab);
    if (p_min_ > 0.0f) {
      // The argmax's probability is 1 / sum(exp(l - l_best)): below p_min as soon as the sum
      // passes 1 / p_min, so a doubtful draft stops early.
      const float top = (*l)[static_cast<size_t>(best)];
      const double limit = 1.0 / p_min_;
      double z = 0.0;
      for (int32_t t = 0; t < n_vocab && z <= limit; ++t)
        z += std::exp(static_cast<double>((*l)[static_cast<size_t>(t)] - top));
      if (z > limit) break;
    }
    out.push_back(best);
    if (i + 1 < max) l = &session_.step(best);
  }
  return out;
}

std::unique_ptr<Drafter> make_drafter(const std::string& draft_model, int64_t lookup_ngram, const model::Model& target,
                                      const SessionOptions& session, const model::LoadOptions& load,
                                      float draft_p_min) {
  require_one_drafter(draft_model, lookup_ngram);
  if (lookup_ngram > 0) return std::make_unique<LookupDrafter>(lookup_ngram);
  if (draft_model.empty()) return nullptr;
  const LoadedModel d = load_model(draft_model, load);
  return std::make_unique<ModelDrafter>(d.model, d.tokenizer, target, session, draft_p_min);
}

}  // namespace hearth::engine
