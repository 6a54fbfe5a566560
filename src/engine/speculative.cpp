#include "engine/speculative.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "core/error.h"

namespace hearth::engine {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

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
      // Probability of the argmax: 1 / sum(exp(l - l_best)).
      const float top = (*l)[static_cast<size_t>(best)];
      double z = 0.0;
      for (int32_t t = 0; t < n_vocab; ++t) z += std::exp(static_cast<double>((*l)[static_cast<size_t>(t)] - top));
      if (1.0 / z < p_min_) break;
    }
    out.push_back(best);
    if (i + 1 < max) l = &session_.step(best);
  }
  return out;
}

GenerateResult generate_speculative(Session& s, sampling::Sampler& sampler, std::span<const int32_t> prompt,
                                    int64_t n_predict, const TokenCallback& on_token, Drafter& drafter,
                                    const SpeculativeOptions& opts, SpeculativeStats* stats,
                                    const std::atomic<bool>* cancel) {
  if (sampler.constraint())
    fail(Errc::invalid_argument, "speculative decoding (--draft-model, --lookup-ngram) does not combine with a grammar");
  if (opts.draft_max < 1) fail(Errc::invalid_argument, "--draft-max must be at least 1");
  if (opts.draft_min < 0) fail(Errc::invalid_argument, "--draft-min must not be negative");
  SpeculativeStats local;
  SpeculativeStats& st = stats ? *stats : local;
  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<float> cur = s.prompt(prompt);
  r.prompt_ms = ms_since(t0);
  r.prompt_processed = s.last_prompt_processed();
  for (int32_t t : prompt) sampler.accept_prompt(t);
  const size_t V = static_cast<size_t>(s.model().n_vocab());

  // Emits a token; false when generation stops here (r.stop says why).
  auto emit = [&](int32_t tok) {
    if (s.tokenizer().is_eog(tok)) {
      r.stop = StopReason::eog;
      return false;
    }
    r.tokens.push_back(tok);
    if (on_token && !on_token(tok)) {
      r.stop = StopReason::callback;
      return false;
    }
    return true;
  };
  auto budget_left = [&] {
    return n_predict < 0 ? INT64_MAX : n_predict - static_cast<int64_t>(r.tokens.size());
  };

  const auto t1 = std::chrono::steady_clock::now();
  int32_t pending = -1;  // the next token, already drawn by a rejected check
  std::vector<int32_t> context, batch;
  while (true) {
    if (budget_left() <= 0) {
      r.stop = StopReason::length;
      break;
    }
    if (cancel && cancel->load()) {
      r.stop = StopReason::cancelled;
      break;
    }
    const int32_t tok = pending >= 0 ? pending : sampler.sample(cur.data());
    pending = -1;
    sampler.accept(tok);
    if (!emit(tok)) break;

    const int64_t base = static_cast<int64_t>(s.history().size());
    const int64_t room = s.n_ctx() - base - 1;  // cache slots left after tok
    const int64_t max = std::min({opts.draft_max, room, budget_left()});
    std::vector<int32_t> d;
    if (max >= 1) {
      context.assign(s.history().begin(), s.history().end());
      context.push_back(tok);
      d = drafter.draft(context, max);
      if (static_cast<int64_t>(d.size()) > max) d.resize(static_cast<size_t>(max));
    }
    if (d.empty() || static_cast<int64_t>(d.size()) < opts.draft_min) {
      // Plain step, with generate()'s handling of a full context.
      if (base >= s.n_ctx()) {
        const int64_t dropped = s.options().context_shift ? s.shift_context() : 0;
        if (dropped == 0) {
          r.stop = StopReason::context_full;
          break;
        }
        r.shifted_tokens += dropped;
      }
      cur = s.step(tok);
      continue;
    }

    batch.assign(1, tok);
    batch.insert(batch.end(), d.begin(), d.end());
    const std::vector<float>& all = s.extend(batch);
    ++st.batches;
    st.drafted += static_cast<int64_t>(d.size());
    // Row i of `all` is the target's prediction after batch token i: it checks draft i.
    size_t kept = 0;
    bool stop = false;
    for (size_t i = 0; i < d.size(); ++i) {
      bool accepted = false;
      const int32_t t = sampler.verify_draft(all.data() + i * V, d[i], &accepted);
      if (!accepted) {
        pending = t;
        break;
      }
      ++st.accepted;
      sampler.accept(t);
      if (!s.tokenizer().is_eog(t)) ++kept;  // an end of generation is not kept, as in generate()
      if (!emit(t)) {
        stop = true;
        break;
      }
      if (budget_left() <= 0 || (cancel && cancel->load())) break;  // the loop head says which
    }
    if (kept == d.size() && !stop) cur.assign(all.begin() + static_cast<std::ptrdiff_t>(d.size() * V), all.end());
    // The cache keeps tok and the drafts that were kept.
    s.truncate(base + 1 + static_cast<int64_t>(kept));
    if (stop) break;
  }
  r.gen_ms = ms_since(t1);
  return r;
}

}  // namespace hearth::engine
