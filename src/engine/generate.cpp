#include "engine/generate.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "core/error.h"
#include "engine/speculative.h"

namespace hearth::engine {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

GenerateResult generate(Session& s, sampling::Sampler& sampler, std::span<const int32_t> prompt, int64_t n_predict,
                        const TokenCallback& on_token, const std::atomic<bool>* cancel) {
  return generate_speculative(s, sampler, prompt, n_predict, on_token, nullptr, SpeculativeOptions{}, nullptr, cancel);
}

// The one generation loop; without a drafter every step is a plain one.
GenerateResult generate_speculative(Session& s, sampling::Sampler& sampler, std::span<const int32_t> prompt,
                                    int64_t n_predict, const TokenCallback& on_token, Drafter* drafter,
                                    const SpeculativeOptions& opts, SpeculativeStats* stats,
                                    const std::atomic<bool>* cancel) {
  if (drafter && sampler.constraint())
    fail(Errc::invalid_argument, "speculative decoding (--draft-model, --lookup-ngram) does not combine with a grammar");
  validate_speculative(opts);
  SpeculativeStats local;
  SpeculativeStats& st = stats ? *stats : local;
  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<float>* logits = &s.prompt(prompt);
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
    const int32_t tok = pending >= 0 ? pending : sampler.sample(logits->data());
    pending = -1;
    sampler.accept(tok);
    if (!emit(tok)) break;

    const int64_t base = static_cast<int64_t>(s.history().size());
    const int64_t room = s.n_ctx() - base - 1;  // cache slots left after tok
    const int64_t max = std::min({opts.draft_max, room, budget_left()});
    std::vector<int32_t> d;
    if (drafter && max >= 1) {
      context.assign(s.history().begin(), s.history().end());
      context.push_back(tok);
      d = drafter->draft(context, max);
      if (static_cast<int64_t>(d.size()) > max) d.resize(static_cast<size_t>(max));
    }
    if (d.empty() || static_cast<int64_t>(d.size()) < opts.draft_min) {
      // A plain step. A full context shifts (when the session allows) or ends generation.
      if (base >= s.n_ctx()) {
        const int64_t dropped = s.options().context_shift ? s.shift_context() : 0;
        if (dropped == 0) {
          r.stop = StopReason::context_full;
          break;
        }
        r.shifted_tokens += dropped;
      }
      logits = &s.step(tok);
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
    // With every draft kept, the session's logits are the batch's last row: the next token's.
    if (kept == d.size()) logits = &s.logits();
    // The cache keeps tok and the drafts that were kept.
    s.truncate(base + 1 + static_cast<int64_t>(kept));
    if (stop) break;
  }
  r.gen_ms = ms_since(t1);
  return r;
}

}  // namespace hearth::engine
