// Speculative decoding: greedy output identical to plain decoding whatever the drafter proposes,
// the accept/reject step keeps the target distribution (a statistical test), and the drafters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "engine/generate.h"
#include "engine/loader.h"
#include "engine/speculative.h"
#include "sampling/grammar.h"
#include "sampling/grammar_constraint.h"
#include "support/shared_data.h"

namespace hearth::engine {
namespace {

TEST(VerifyDraft, GreedyAcceptsExactlyTheArgmax) {
  sampling::Params p;
  p.temperature = 0;
  sampling::Sampler s(p, 4);
  const float logits[4] = {0.5f, 2.0f, 1.0f, 2.0f};  // ties go to the lower id
  bool accepted = false;
  EXPECT_EQ(s.verify_draft(logits, 1, &accepted), 1);
  EXPECT_TRUE(accepted);
  EXPECT_EQ(s.verify_draft(logits, 3, &accepted), 1);
  EXPECT_FALSE(accepted);
}

// Whatever the draft, the emitted token is distributed as the sampling chain's distribution.
TEST(VerifyDraft, SampledOutputKeepsTheTargetDistribution) {
  const float logits[6] = {1.0f, 0.2f, -0.5f, 1.5f, 0.0f, -3.0f};
  sampling::Params p;
  p.temperature = 0.9f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 7;
  std::vector<double> want(6);
  double z = 0;
  for (int i = 0; i < 6; ++i) z += want[i] = std::exp(logits[i] / 0.9);
  for (double& w : want) w /= z;
  for (int32_t draft : {3, 0, 5}) {  // likely, middling and unlikely drafts
    sampling::Sampler s(p, 6);
    const int n = 200000;
    std::vector<int> count(6);
    int accepted_n = 0;
    for (int i = 0; i < n; ++i) {
      bool accepted = false;
      const int32_t t = s.verify_draft(logits, draft, &accepted);
      ++count[t];
      accepted_n += accepted;
      ASSERT_EQ(accepted, t == draft);
    }
    double chi2 = 0;
    for (int i = 0; i < 6; ++i) chi2 += std::pow(count[i] - n * want[i], 2) / (n * want[i]);
    // 5 degrees of freedom: P(chi2 > 25) < 2e-4.
    EXPECT_LT(chi2, 25.0) << "draft " << draft;
    EXPECT_NEAR(static_cast<double>(accepted_n) / n, want[draft], 0.01) << "draft " << draft;
  }
}

TEST(VerifyDraft, RefusesAGrammar) {
  sampling::Sampler s(sampling::Params{}, 4);
  auto g = sampling::Grammar::parse("root ::= \"a\"");
  auto bytes = std::make_shared<sampling::TokenBytes>(std::vector<std::string>{"a", "b", "c", "d"}, std::vector<bool>{false, false, false, true});
  s.set_constraint(std::make_unique<sampling::GrammarConstraint>(g, bytes));
  const float logits[4] = {0, 0, 0, 0};
  bool accepted = false;
  EXPECT_THROW(s.verify_draft(logits, 0, &accepted), Error);
}

TEST(LookupDrafter, ProposesWhatFollowedTheLatestEarlierOccurrence) {
  LookupDrafter d(2);
  const std::vector<int32_t> h = {5, 6, 7, 8, 9, 5, 6, 1, 2, 5, 6};
  // "5 6" occurred at 5 (followed by 1 2 5 6) and at 0; the latest wins.
  EXPECT_EQ(d.draft(h, 3), (std::vector<int32_t>{1, 2, 5}));
  EXPECT_EQ(d.draft(h, 10), (std::vector<int32_t>{1, 2, 5, 6}));
  EXPECT_TRUE(d.draft(std::vector<int32_t>{1, 2, 3, 4}, 4).empty());
  EXPECT_TRUE(d.draft(h, 0).empty());
  EXPECT_THROW(LookupDrafter(0), Error);
}

struct Outcome {
  std::vector<int32_t> tokens;
  StopReason stop;
  SpeculativeStats stats;
};

Outcome run(const LoadedModel& lm, Drafter* drafter, int64_t n, int64_t n_ctx, float eos_bias = 0) {
  SessionOptions o;
  o.n_ctx = n_ctx;
  o.n_threads = 2;
  Session s(lm.model, lm.tokenizer, o);
  sampling::Params p;
  p.temperature = 0;
  if (eos_bias != 0) p.logit_bias.push_back({lm.tokenizer->eos(), eos_bias});
  sampling::Sampler sampler(p, static_cast<int32_t>(lm.model->n_vocab()));
  const std::vector<int32_t> prompt = lm.tokenizer->encode("Once upon a time there was a little girl", true, false);
  Outcome r;
  GenerateResult g;
  if (drafter) {
    SpeculativeOptions so;
    so.draft_max = 8;
    g = generate_speculative(s, sampler, prompt, n, nullptr, drafter, so, &r.stats);
  } else {
    g = generate(s, sampler, prompt, n, nullptr);
  }
  r.tokens = g.tokens;
  r.stop = g.stop;
  // The session holds the prompt and what was emitted (the last token may not have run yet), and
  // no rejected draft.
  std::vector<int32_t> all = prompt;
  all.insert(all.end(), g.tokens.begin(), g.tokens.end());
  EXPECT_GE(s.history().size() + 1, all.size());
  EXPECT_LE(s.history().size(), all.size());
  EXPECT_TRUE(std::equal(s.history().begin(), s.history().end(), all.begin()));
  return r;
}

TEST(Speculative, GreedyOutputIsPlainDecodingsWithAnyDrafter) {
  HEARTH_REQUIRE_SHARED();
  const LoadedModel target = load_model(test::shared_path("models/stories260K.gguf").string());
  const LoadedModel noise = load_model(test::shared_path("models/tiny-llama-Q8_0.gguf").string());  // same vocabulary
  for (int64_t n : {1, 7, 100}) {
    const Outcome plain = run(target, nullptr, n, 256);
    SessionOptions o;
    o.n_ctx = 256;
    ModelDrafter self(target.model, target.tokenizer, *target.model, o);
    ModelDrafter bad(noise.model, noise.tokenizer, *target.model, o);
    LookupDrafter lookup(2);
    for (auto [name, d] : {std::pair<const char*, Drafter*>{"self", &self}, {"noise", &bad}, {"lookup", &lookup}}) {
      const Outcome spec = run(target, d, n, 256);
      EXPECT_EQ(spec.tokens, plain.tokens) << name << " n=" << n;
      EXPECT_EQ(spec.stop, plain.stop) << name << " n=" << n;
      if (n == 100 && std::string(name) == "self") {
        EXPECT_GT(spec.stats.batches, 0);
        EXPECT_EQ(spec.stats.accepted, spec.stats.drafted);  // a model agrees with itself
      }
      if (n == 100 && std::string(name) == "noise") EXPECT_LT(spec.stats.accepted, spec.stats.drafted);
    }
  }
  // An end of generation inside an accepted draft stops at the same place.
  {
    SessionOptions o;
    o.n_ctx = 256;
    ModelDrafter self(target.model, target.tokenizer, *target.model, o);
    // The smallest push towards the end-of-sequence token that ends the story a few tokens in.
    float bias = 8;
    Outcome plain = run(target, nullptr, 200, 256, bias);
    while (bias < 40 && (plain.stop != StopReason::eog || plain.tokens.size() < 4)) plain = run(target, nullptr, 200, 256, ++bias);
    ASSERT_EQ(plain.stop, StopReason::eog);
    const Outcome spec = run(target, &self, 200, 256, bias);
    EXPECT_EQ(spec.tokens, plain.tokens);
    EXPECT_EQ(spec.stop, plain.stop);
  }
  // A context that fills up mid-way stops at the same place.
  SessionOptions small;
  small.n_ctx = 40;
  ModelDrafter self(target.model, target.tokenizer, *target.model, small);
  const Outcome plain = run(target, nullptr, 100, 40);
  const Outcome spec = run(target, &self, 100, 40);
  EXPECT_EQ(plain.stop, StopReason::context_full);
  EXPECT_EQ(spec.tokens, plain.tokens);
  EXPECT_EQ(spec.stop, plain.stop);
}

TEST(Speculative, DraftModelMustShareTheVocabulary) {
  HEARTH_REQUIRE_SHARED();
  const LoadedModel target = load_model(test::shared_path("models/stories260K.gguf").string());
  const LoadedModel other = load_model(test::shared_path("models/tiny-qwen2-bpe-Q8_0.gguf").string());
  try {
    ModelDrafter d(other.model, other.tokenizer, *target.model, SessionOptions{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("must share the target's vocabulary"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::engine
