// Session: KV prefix reuse, truncation on divergence, context limits.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "engine/generate.h"
#include "engine/loader.h"
#include "engine/session.h"
#include "model/model.h"
#include "support/shared_data.h"

namespace hearth::engine {
namespace {

std::shared_ptr<const model::Model> stories_model() {
  return model::Model::load(test::shared_path("models/stories260K.gguf").string());
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

TEST(Session, ReusesCommonPrefixAndMatchesFreshRun) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories_model();
  SessionOptions o;
  o.n_ctx = 64;
  o.n_threads = 2;
  Session s(m, nullptr, o);
  const std::vector<int32_t> a = {1, 403, 407, 261, 378};
  std::vector<int32_t> ab = a;
  ab.insert(ab.end(), {29, 307, 338});

  s.prompt(a);
  EXPECT_EQ(s.last_prompt_processed(), 5);
  EXPECT_EQ(s.last_prompt_reused(), 0);
  std::vector<float> incremental = s.prompt(ab);
  EXPECT_EQ(s.last_prompt_processed(), 3);
  EXPECT_EQ(s.last_prompt_reused(), 5);
  EXPECT_EQ(s.history(), ab);

  Session fresh(m, nullptr, o);
  std::vector<float> full = fresh.prompt(ab);
  EXPECT_LT(max_abs_diff(incremental, full), 1e-4f);

  // The same prompt again costs nothing; a divergent token truncates the cache back to it.
  s.prompt(ab);
  EXPECT_EQ(s.last_prompt_processed(), 0);
  std::vector<int32_t> diverged = ab;
  diverged[6] = 400;
  std::vector<float> d1 = s.prompt(diverged);
  EXPECT_EQ(s.last_prompt_processed(), 2);
  EXPECT_EQ(s.last_prompt_reused(), 6);
  Session fresh2(m, nullptr, o);
  EXPECT_LT(max_abs_diff(d1, fresh2.prompt(diverged)), 1e-4f);

  // A prefix of the history re-runs only its last token (its logits were overwritten).
  s.prompt(a);
  EXPECT_EQ(s.last_prompt_processed(), 1);
  EXPECT_EQ(s.history(), a);
}

TEST(Session, StepMatchesBatchedPrompt) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories_model();
  SessionOptions o;
  o.n_ctx = 32;
  Session s(m, nullptr, o);
  const std::vector<int32_t> toks = {1, 403, 407, 261, 378};
  s.prompt(std::span<const int32_t>(toks.data(), 1));
  std::vector<float> last;
  for (size_t i = 1; i < toks.size(); ++i) last = s.step(toks[i]);
  Session b(m, nullptr, o);
  EXPECT_LT(max_abs_diff(last, b.prompt(toks)), 1e-4f);
}

TEST(Session, PromptLongerThanContextIsAClearError) {
  HEARTH_REQUIRE_SHARED();
  SessionOptions o;
  o.n_ctx = 8;
  Session s(stories_model(), nullptr, o);
  std::vector<int32_t> toks(9, 400);
  try {
    s.prompt(toks);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::out_of_range);
    EXPECT_NE(std::string(e.what()).find("context size of 8"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(s.history().empty());
  // Filling the context exactly works; one more step is refused.
  toks.resize(8);
  s.prompt(toks);
  EXPECT_THROW(s.step(400), Error);
  EXPECT_EQ(s.history().size(), 8u);
}

TEST(Session, ContextShiftKeepsThePrefixDropsHalfAndMatchesAFreshPrompt) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories_model();
  SessionOptions o;
  o.n_ctx = 16;
  o.n_keep = 3;
  o.n_threads = 2;
  Session s(m, nullptr, o);
  std::vector<int32_t> toks;
  for (int i = 0; i < 16; ++i) toks.push_back(300 + i);
  s.prompt(toks);
  // 13 tokens after the kept 3: the oldest 6 of them go.
  EXPECT_EQ(s.shift_context(), 6);
  std::vector<int32_t> want(toks.begin(), toks.begin() + 3);
  want.insert(want.end(), toks.begin() + 9, toks.end());
  EXPECT_EQ(s.history(), want);
  EXPECT_EQ(s.last_prompt_reused(), 3);
  const std::vector<float> shifted = s.logits();
  Session fresh(m, nullptr, o);
  EXPECT_LT(max_abs_diff(shifted, fresh.prompt(want)), 1e-4f);
  // Nothing to drop when n_keep covers the history.
  o.n_keep = 100;
  Session all(m, nullptr, o);
  all.prompt(toks);
  EXPECT_EQ(all.shift_context(), 0);
  EXPECT_EQ(all.history(), toks);
}

TEST(Session, GenerationShiftsAFullContextOnlyWhenAsked) {
  HEARTH_REQUIRE_SHARED();
  const LoadedModel lm = load_model(test::shared_path("models/stories260K.gguf").string());
  auto run = [&](bool shift) {
    SessionOptions o;
    o.n_ctx = 24;
    o.n_keep = 1;
    o.context_shift = shift;
    o.n_threads = 2;
    Session s(lm.model, lm.tokenizer, o);
    sampling::Params p;
    p.temperature = 0;
    // End-of-generation tokens are banned, so only the context or the budget can stop it.
    for (int32_t t = 0; t < static_cast<int32_t>(lm.model->n_vocab()); ++t)
      if (lm.tokenizer->is_eog(t)) p.logit_bias.push_back({t, -INFINITY});
    sampling::Sampler sampler(p, static_cast<int32_t>(lm.model->n_vocab()));
    return generate(s, sampler, std::vector<int32_t>{1, 403, 407}, 60, nullptr);
  };
  const GenerateResult stopped = run(false);
  EXPECT_EQ(stopped.stop, StopReason::context_full);
  EXPECT_EQ(stopped.shifted_tokens, 0);
  // 3 prompt tokens + 21 steps fill the 24; the 22nd token, sampled from the last logits, is kept.
  EXPECT_EQ(stopped.tokens.size(), 22u);
  const GenerateResult shifted = run(true);
  EXPECT_EQ(shifted.stop, StopReason::length);
  EXPECT_EQ(shifted.tokens.size(), 60u);
  EXPECT_GT(shifted.shifted_tokens, 0);
  // Up to the first shift both runs are the same greedy sequence.
  for (size_t i = 0; i < 22 && i < shifted.tokens.size(); ++i) EXPECT_EQ(shifted.tokens[i], stopped.tokens[i]) << i;
}

TEST(Session, ContextAboveTrainedLengthIsRejected) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories_model();
  SessionOptions o;
  o.n_ctx = m->hparams().n_ctx_train + 1;
  EXPECT_THROW(Session(m, nullptr, o), Error);
}

}  // namespace
}  // namespace hearth::engine
