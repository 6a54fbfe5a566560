#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "core/error.h"
#include "sampling/grammar_constraint.h"

namespace hearth::sampling {

void validate(const Params& p) {
  auto bad = [](const std::string& what) { fail(Errc::invalid_argument, what); };
  if (!std::isfinite(p.temperature)) bad("temperature must be a finite number");
  // Values of 1 or more switch top-p off, so only the lower bound is an error.
  if (!(p.top_p > 0.0f)) bad("top_p must be in (0, 1]");
  if (p.min_p < 0.0f || p.min_p > 1.0f || std::isnan(p.min_p)) bad("min_p must be in [0, 1]");
  if (!(p.typical_p > 0.0f)) bad("typical_p must be > 0");
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty)) bad("repeat_penalty must be > 0");
  if (p.repeat_last_n < -1) bad("repeat_last_n must be >= -1");
  if (!std::isfinite(p.frequency_penalty) || !std::isfinite(p.presence_penalty))
    bad("frequency_penalty and presence_penalty must be finite");
}

int32_t argmax(const float* logits, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;  // strict: ties keep the lower id
  return best;
}

void sort_desc(std::vector<Candidate>& c) {
  std::sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  });
}

void softmax(std::vector<Candidate>& c) {
  if (c.empty()) return;
  float max_l = c.front().logit;
  double sum = 0.0;
  for (auto& x : c) {
    x.p = std::exp(x.logit - max_l);
    sum += x.p;
  }
  for (auto& x : c) x.p = static_cast<float>(x.p / sum);
}

void top_k(std::vector<Candidate>& c, int32_t k) {
  if (k <= 0 || static_cast<size_t>(k) >= c.size()) {
    sort_desc(c);
    return;
  }
  std::partial_sort(c.begin(), c.begin() + k, c.end(), [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  });
  c.resize(k);
}

void top_p(std::vector<Candidate>& c, float p, size_t min_keep) {
  if (p >= 1.0f || c.empty()) return;
  softmax(c);
  double cum = 0.0;
  size_t keep = c.size();
  for (size_t i = 0; i < c.size(); ++i) {
    cum += c[i].p;
    if (cum >= p && i + 1 >= min_keep) {
      keep = i + 1;
      break;
    }
  }
  c.resize(keep);
}

void min_p(std::vector<Candidate>& c, float p, size_t min_keep) {
  if (p <= 0.0f || c.empty()) return;
  // Relative to the most likely token: keep logit >= max + log(p).
  float threshold = c.front().logit + std::log(p);
  size_t keep = 0;
  while (keep < c.size() && (c[keep].logit >= threshold || keep < min_keep)) ++keep;
  c.resize(keep);
}

void typical(std::vector<Candidate>& c, float p, size_t min_keep) {
  if (p >= 1.0f || c.empty()) return;
  softmax(c);
  double entropy = 0.0;
  for (const auto& x : c)
    if (x.p > 0) entropy -= x.p * std::log(x.p);
  // Order by how far each token's surprise is from the expected surprise (the entropy).
  std::vector<size_t> order(c.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> shift(c.size());
  for (size_t i = 0; i < c.size(); ++i) shift[i] = std::fabs(-std::log(std::max(c[i].p, 1e-30f)) - entropy);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return shift[a] < shift[b]; });
  double cum = 0.0;
  size_t keep = order.size();
  for (size_t i = 0; i < order.size(); ++i) {
    cum += c[order[i]].p;
    if (cum > p && i + 1 >= min_keep) {
      keep = i + 1;
      break;
    }
  }
  std::vector<Candidate> kept;
  kept.reserve(keep);
  for (size_t i = 0; i < keep; ++i) kept.push_back(c[order[i]]);
  c = std::move(kept);
  sort_desc(c);
}

Sampler::Sampler(Params params, int32_t n_vocab) : params_(std::move(params)), n_vocab_(n_vocab) {
  validate(params_);
  if (n_vocab <= 0) fail(Errc::invalid_argument, "sampler needs a vocabulary size > 0");
  for (const auto& [id, bias] : params_.logit_bias)
    if (id < 0 || id >= n_vocab)
      fail(Errc::invalid_argument, "logit_bias token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                                       std::to_string(n_vocab - 1) + ")");
  seed_ = params_.seed == 0xFFFFFFFFu ? std::random_device{}() : params_.seed;
  rng_.seed(seed_);
}

Sampler::~Sampler() = default;

void Sampler::set_constraint(std::unique_ptr<GrammarConstraint> c) { constraint_ = std::move(c); }

void Sampler::accept(int32_t token) {
  if (constraint_) constraint_->accept(token);
  accept_prompt(token);
}

void Sampler::accept_prompt(int32_t token) {
  history_.push_back(token);
  size_t cap = params_.repeat_last_n < 0 ? SIZE_MAX : static_cast<size_t>(params_.repeat_last_n);
  while (history_.size() > cap) history_.pop_front();
}

void Sampler::reset() { history_.clear(); }

void Sampler::apply_penalties(std::vector<Candidate>& c) const {
  bool active = params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f ||
                params_.presence_penalty != 0.0f;
  if (!active || history_.empty() || params_.repeat_last_n == 0) return;
  std::unordered_map<int32_t, int> counts;
  for (int32_t t : history_) ++counts[t];
  // Candidates are indexed by id here (called before any filtering).
  for (const auto& [id, n] : counts) {
    if (id < 0 || id >= n_vocab_) continue;
    float& l = c[id].logit;
    // A repeated token's logit moves toward "less likely" whatever its sign.
    l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    l -= static_cast<float>(n) * params_.frequency_penalty + params_.presence_penalty;
  }
}

int32_t Sampler::sample(const float* logits) {
  auto& c = scratch_;
  c.resize(n_vocab_);
  for (int32_t i = 0; i < n_vocab_; ++i) c[i] = {i, logits[i], 0.0f};
  for (const auto& [id, bias] : params_.logit_bias) c[id].logit += bias;
  apply_penalties(c);
  if (!constraint_) return draw(c);

  if (constraint_->finished()) {
    // Nothing but end of generation fits: skip the sampling chain.
    constraint_->mask(c);
  } else {
    unfiltered_ = c;
    const int32_t t = draw(c);
    if (constraint_->allows(t)) return t;
    c.swap(unfiltered_);
    constraint_->mask(c);
    ++masked_steps_;
  }
  if (std::none_of(c.begin(), c.end(), [](const Candidate& x) { return !(std::isinf(x.logit) && x.logit < 0); }))
    fail(Errc::invalid_argument, "the grammar allows no token of this model's vocabulary here");
  return draw(c);
}

int32_t Sampler::verify_draft(const float* logits, int32_t draft, bool* accepted) {
  if (constraint_) fail(Errc::invalid_argument, "speculative decoding does not combine with a grammar");
  auto& c = scratch_;
  c.resize(n_vocab_);
  for (int32_t i = 0; i < n_vocab_; ++i) c[i] = {i, logits[i], 0.0f};
  for (const auto& [id, bias] : params_.logit_bias) c[id].logit += bias;
  apply_penalties(c);
  if (params_.temperature <= 0.0f) {
    const int32_t t = draw(c);
    *accepted = t == draft;
    return t;
  }
  c.erase(std::remove_if(c.begin(), c.end(), [](const Candidate& x) { return std::isinf(x.logit) && x.logit < 0; }),
          c.end());
  if (c.empty()) fail(Errc::invalid_argument, "every token is banned by logit_bias");
  top_k(c, params_.top_k);
  typical(c, params_.typical_p);
  top_p(c, params_.top_p);
  min_p(c, params_.min_p);
  for (auto& x : c) x.logit /= params_.temperature;
  softmax(c);
  auto uniform = [&] { return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0); };
  double p_draft = 0.0;
  for (const auto& x : c)
    if (x.id == draft) p_draft = x.p;
  *accepted = uniform() < p_draft;
  if (*accepted) return draft;
  // The residual max(p - q, 0) of a one-hot q: p without the draft, renormalised.
  const double rest = 1.0 - p_draft;
  double u = uniform() * rest, cum = 0.0;
  int32_t last = -1;
  for (const auto& x : c) {
    if (x.id == draft) continue;
    last = x.id;
    cum += x.p;
    if (u < cum) return x.id;
  }
  return last >= 0 ? last : draft;  // rounding left u past the end, or the draft was all there was
}

int32_t Sampler::draw(std::vector<Candidate>& c) {
  if (params_.temperature <= 0.0f) {
    size_t best = 0;
    for (size_t i = 1; i < c.size(); ++i)
      if (c[i].logit > c[best].logit || (c[i].logit == c[best].logit && c[i].id < c[best].id)) best = i;
    return c[best].id;
  }

  // Banned tokens (-inf) never survive, even with min_keep.
  c.erase(std::remove_if(c.begin(), c.end(), [](const Candidate& x) { return std::isinf(x.logit) && x.logit < 0; }),
          c.end());
  if (c.empty()) fail(Errc::invalid_argument, "every token is banned by logit_bias");

  top_k(c, params_.top_k);  // also sorts
  typical(c, params_.typical_p);
  top_p(c, params_.top_p);
  min_p(c, params_.min_p);
  for (auto& x : c) x.logit /= params_.temperature;
  softmax(c);

  // Uniform in [0, 1) from the top 53 bits: defined by us, not by the standard library.
  double u = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
  double cum = 0.0;
  for (const auto& x : c) {
    cum += x.p;
    if (u < cum) return x.id;
  }
  return c.back().id;
}

}  // namespace hearth::sampling
