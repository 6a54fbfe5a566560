#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/error.h"
#include "sampling/sampler.h"

using namespace hearth;
using namespace hearth::sampling;

namespace {

std::vector<float> logits_of(std::initializer_list<float> l) { return std::vector<float>(l); }

Params greedy() {
  Params p;
  p.temperature = 0.0f;
  return p;
}

}  // namespace

TEST(Sampler, GreedyPicksArgmaxWithTiesToLowerId) {
  auto l = logits_of({0.1f, 3.0f, 3.0f, -1.0f});
  Sampler s(greedy(), 4);
  EXPECT_EQ(s.sample(l.data()), 1);
  EXPECT_EQ(argmax(l.data(), 4), 1);
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedDiffers) {
  std::vector<float> l(100);
  for (int i = 0; i < 100; ++i) l[i] = std::sin(i * 0.37f) * 2.0f;
  Params p;
  p.temperature = 1.5f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1234;
  auto run = [&](uint64_t seed) {
    Params q = p;
    q.seed = seed;
    Sampler s(q, 100);
    std::vector<int32_t> out;
    for (int i = 0; i < 50; ++i) out.push_back(s.sample(l.data()));
    return out;
  };
  EXPECT_EQ(run(1234), run(1234));
  EXPECT_NE(run(1234), run(99));
}

TEST(Sampler, DrawsFollowTheSoftmaxDistribution) {
  auto l = logits_of({0.0f, std::log(2.0f), std::log(7.0f)});  // p = 0.1, 0.2, 0.7
  Params p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 7;
  Sampler s(p, 3);
  std::map<int, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[s.sample(l.data())];
  EXPECT_NEAR(counts[0] / double(n), 0.1, 0.015);
  EXPECT_NEAR(counts[1] / double(n), 0.2, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.7, 0.015);
}

TEST(Sampler, TopKOneIsGreedy) {
  std::vector<float> l = {1.0f, 5.0f, 4.9f, 2.0f};
  Params p;
  p.temperature = 5.0f;
  p.top_k = 1;
  p.seed = 3;
  Sampler s(p, 4);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s.sample(l.data()), 1);
}

TEST(Sampler, TopPKeepsSmallestSetReachingP) {
  std::vector<Candidate> c = {{0, std::log(0.5f), 0}, {1, std::log(0.3f), 0}, {2, std::log(0.15f), 0},
                              {3, std::log(0.05f), 0}};
  sort_desc(c);
  top_p(c, 0.75f);  // 0.5 alone is short of it, 0.5 + 0.3 reaches it
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].id, 0);
  EXPECT_EQ(c[1].id, 1);
}

TEST(Sampler, MinPDropsTokensBelowFractionOfTop) {
  std::vector<Candidate> c = {{0, std::log(0.6f), 0}, {1, std::log(0.3f), 0}, {2, std::log(0.05f), 0}};
  sort_desc(c);
  min_p(c, 0.1f);  // threshold 0.06
  ASSERT_EQ(c.size(), 2u);
}

TEST(Sampler, TypicalKeepsTokensNearTheEntropy) {
  // One dominant token and many rare ones: typical sampling with small p keeps tokens whose
  // surprise is closest to the entropy, which here is the dominant one.
  std::vector<Candidate> c;
  c.push_back({0, 5.0f, 0});
  for (int i = 1; i < 10; ++i) c.push_back({i, 0.0f, 0});
  sort_desc(c);
  typical(c, 0.5f);
  ASSERT_GE(c.size(), 1u);
  EXPECT_EQ(c[0].id, 0);
  EXPECT_LT(c.size(), 10u);
}

TEST(Sampler, RepeatPenaltyChangesTheChoiceUntilReset) {
  std::vector<float> l = {2.0f, 1.9f, 0.0f};
  Params p = greedy();
  p.repeat_penalty = 1.5f;
  Sampler s(p, 3);
  EXPECT_EQ(s.sample(l.data()), 0);
  s.accept(0);
  EXPECT_EQ(s.sample(l.data()), 1);  // 2.0/1.5 < 1.9
  s.reset();
  EXPECT_EQ(s.sample(l.data()), 0);
}

TEST(Sampler, FrequencyPenaltyScalesWithCount) {
  std::vector<float> l = {2.0f, 1.9f, 0.0f};
  Params q = greedy();
  q.frequency_penalty = 0.06f;
  Sampler f(q, 3);
  f.accept(0);
  EXPECT_EQ(f.sample(l.data()), 0);  // 1.94 still above 1.9
  f.accept(0);
  EXPECT_EQ(f.sample(l.data()), 1);  // 1.88 below
  Params r = greedy();
  r.presence_penalty = 0.2f;
  Sampler pr(r, 3);
  pr.accept(0);
  EXPECT_EQ(pr.sample(l.data()), 1);
}

TEST(Sampler, RepeatWindowForgetsOldTokens) {
  std::vector<float> l = {2.0f, 1.9f, 0.0f};
  Params p = greedy();
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler s(p, 3);
  s.accept(0);
  s.accept(2);
  s.accept(2);  // token 0 has left the window
  EXPECT_EQ(s.sample(l.data()), 0);
}

TEST(Sampler, LogitBiasBansAndBoosts) {
  std::vector<float> l = {2.0f, 1.0f, 0.0f};
  Params p = greedy();
  p.logit_bias = {{0, -INFINITY}, {2, 1.5f}};
  Sampler s(p, 3);
  EXPECT_EQ(s.sample(l.data()), 2);
  Params q;
  q.seed = 5;
  q.temperature = 1.0f;
  q.logit_bias = {{0, -INFINITY}};
  Sampler t(q, 3);
  for (int i = 0; i < 200; ++i) EXPECT_NE(t.sample(l.data()), 0);
}

TEST(Sampler, InvalidParametersAreRejectedWithTheirName) {
  Params p;
  p.top_p = 0.0f;
  EXPECT_THROW(Sampler(p, 10), Error);
  Params q;
  q.logit_bias = {{10, 1.0f}};
  try {
    Sampler s(q, 10);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("logit_bias"), std::string::npos);
  }
  Params r;
  r.temperature = 1.0f;
  r.logit_bias = {{0, -INFINITY}, {1, -INFINITY}};
  Sampler all_banned(r, 2);
  std::vector<float> l = {0.0f, 0.0f};
  EXPECT_THROW(all_banned.sample(l.data()), Error);
}
