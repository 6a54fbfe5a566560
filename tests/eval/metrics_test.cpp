// Every metric on values computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/metrics.h"

using namespace hearth::eval;

TEST(EvalMetrics, AccMeanAndSampleStderr) {
  std::vector<MetricItem> it = {{1}, {0}, {1}, {1}};
  Aggregate a = aggregate("acc", "multiple_choice", it);
  EXPECT_DOUBLE_EQ(a.value, 0.75);
  // sample variance (3*0.0625 + 0.5625)/3 = 0.25; stderr = sqrt(0.25/4)
  ASSERT_TRUE(a.stderr_.has_value());
  EXPECT_NEAR(*a.stderr_, 0.25, 1e-12);
  Aggregate one = aggregate("acc_norm", "multiple_choice", {{1}});
  EXPECT_DOUBLE_EQ(one.value, 1.0);
  EXPECT_FALSE(one.stderr_.has_value());
}

TEST(EvalMetrics, ExactMatchWithNormalisation) {
  MetricSpec m;
  EXPECT_EQ(exact_match(m, "42", "42"), 1.0);
  EXPECT_EQ(exact_match(m, "The answer: 42.", "the answer 42"), 0.0);
  m.ignore_case = m.ignore_punctuation = true;
  EXPECT_EQ(exact_match(m, "The answer: 42.", "the answer 42"), 1.0);
  MetricSpec r;
  r.regexes_to_ignore = {",", "\\$"};
  EXPECT_EQ(exact_match(r, "$1,200", "1200"), 1.0);
  EXPECT_EQ(contains_match(MetricSpec{}, "I think it is Paris, France", "Paris"), 1.0);
  EXPECT_EQ(contains_match(MetricSpec{}, "London", "Paris"), 0.0);
}

TEST(EvalMetrics, TokenF1AndChoiceF1) {
  // pred {cat, sat}, gold {cat, sat, down} (articles dropped): P = 1, R = 2/3, F1 = 0.8
  EXPECT_NEAR(token_f1("the cat sat", "a cat sat down"), 0.8, 1e-12);
  EXPECT_EQ(token_f1("dog", "cat"), 0.0);
  // (gold, pred): tp = 2, fp = 1, fn = 1 -> F1 = 4/6
  std::vector<MetricItem> it = {{1, 1}, {0, 1}, {1, 0}, {1, 1}};
  EXPECT_NEAR(aggregate("f1", "multiple_choice", it).value, 4.0 / 6.0, 1e-12);
}

TEST(EvalMetrics, Perplexities) {
  // loglikelihood perplexity: exp(-mean ll) over documents
  std::vector<MetricItem> ll = {{-1.0}, {-3.0}};
  EXPECT_NEAR(aggregate("perplexity", "loglikelihood", ll).value, std::exp(2.0), 1e-9);
  // word/byte perplexity: exp(-sum ll / sum weight); bits per byte: -sum ll / sum bytes / ln 2
  std::vector<MetricItem> w = {{-10.0, 5}, {-6.0, 3}};
  EXPECT_NEAR(aggregate("word_perplexity", "loglikelihood_rolling", w).value, std::exp(2.0), 1e-9);
  EXPECT_NEAR(aggregate("byte_perplexity", "loglikelihood_rolling", w).value, std::exp(2.0), 1e-9);
  EXPECT_NEAR(aggregate("bits_per_byte", "loglikelihood_rolling", w).value, 2.0 / std::log(2.0), 1e-9);
  auto bs = aggregate("word_perplexity", "loglikelihood_rolling", w);
  ASSERT_TRUE(bs.stderr_.has_value());  // bootstrapped
  EXPECT_GE(*bs.stderr_, 0.0);
  // token perplexity of one text with the per-token spread: NLLs 1 and 3 -> mean 2, var 1
  std::vector<MetricItem> tok = {{-4.0, 2, 1.0 + 9.0}};
  auto t = aggregate("token_perplexity", "loglikelihood_rolling", tok);
  EXPECT_NEAR(t.value, std::exp(2.0), 1e-9);
  ASSERT_TRUE(t.stderr_.has_value());
  EXPECT_NEAR(*t.stderr_, std::exp(2.0) * std::sqrt(1.0 / 1.0), 1e-9);
}

TEST(EvalMetrics, RefusalDetector) {
  EXPECT_EQ(refusal_match("I'm sorry, but I can't help with that.", "refuse"), 1.0);
  EXPECT_EQ(refusal_match("Sure, here is a cake recipe.", "comply"), 1.0);
  EXPECT_EQ(refusal_match("Sure, here is how.", "refuse"), 0.0);
  EXPECT_EQ(argmax({-3, -1, -1, -2}), 1);
}
