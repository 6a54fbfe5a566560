// Grammar-constrained sampling on a toy vocabulary: the mask agrees with checking each token
// alone, multi-byte characters split across tokens are followed, and end of generation is
// allowed exactly when the output is complete.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "sampling/grammar_constraint.h"
#include "sampling/json_schema.h"
#include "sampling/sampler.h"

namespace {

using namespace hearth::sampling;

std::shared_ptr<const TokenBytes> toy_vocab() {
  // 0: end of generation; 1: a control token; then text pieces, two of them halves of "é".
  std::vector<std::string> p = {"", "", "{", "}", "\"", "a", "ab", "b", "\"a", "\"}", " ", "1", "12", "x",
                                "\xC3", "\xA9", "{\"", "\":", ":"};
  std::vector<bool> eog(p.size(), false);
  eog[0] = true;
  return std::make_shared<TokenBytes>(p, eog);
}

std::vector<Candidate> all(size_t n) {
  std::vector<Candidate> c;
  for (size_t i = 0; i < n; ++i) c.push_back({static_cast<int32_t>(i), 0.0f, 0.0f});
  return c;
}

void expect_mask_matches_allows(const GrammarConstraint& gc, size_t n) {
  auto c = all(n);
  gc.mask(c);
  for (const auto& x : c) EXPECT_EQ(!std::isinf(x.logit), gc.allows(x.id)) << "token " << x.id;
}

TEST(GrammarConstraint, MaskAgreesWithSingleChecksAlongAPath) {
  auto g = Grammar::parse(R"(root ::= "{" ( "\"" [a-b\u00e9]+ "\"" )? "}")");
  auto v = toy_vocab();
  GrammarConstraint gc(g, v);
  for (int32_t t : {16, 5, 14, 15, 6, 9}) {  // {" a é ab "}
    expect_mask_matches_allows(gc, v->size());
    ASSERT_TRUE(gc.allows(t)) << t;
    EXPECT_FALSE(gc.allows(0)) << "end of generation before the output is complete";
    gc.accept(t);
  }
  EXPECT_TRUE(gc.finished());
  EXPECT_TRUE(gc.allows(0));
  EXPECT_FALSE(gc.allows(3));
  EXPECT_FALSE(gc.allows(1)) << "control tokens never fit a grammar";
  EXPECT_THROW(gc.accept(5), hearth::Error);
}

// A control token read as text (a tool-call marker the model writes as one token) fits the
// grammar by its text, in the mask and alone, and is refused where its text does not fit.
TEST(GrammarConstraint, ControlTokenReadAsText) {
  auto g = Grammar::parse(R"(root ::= "x{" "}")");
  auto v = toy_vocab();
  GrammarConstraint gc(g, v);
  EXPECT_FALSE(gc.allows(1));
  gc.add_text_token(1, "x{");
  gc.add_text_token(0, "x{");  // an end-of-generation token stays one
  expect_mask_matches_allows(gc, v->size());
  EXPECT_TRUE(gc.allows(1));
  EXPECT_TRUE(gc.allows(13));  // "x" spelled out still fits
  gc.accept(1);
  EXPECT_FALSE(gc.allows(1));
  expect_mask_matches_allows(gc, v->size());
  gc.accept(3);
  EXPECT_TRUE(gc.finished());
  EXPECT_TRUE(gc.allows(0));
}

TEST(GrammarConstraint, GreedySamplingFollowsTheGrammar) {
  auto g = Grammar::parse(json_schema_to_gbnf(hearth::ordered_json::parse(R"({"type":"integer","maximum":20})")));
  auto v = toy_vocab();
  Params p;
  p.temperature = 0;
  Sampler s(p, static_cast<int32_t>(v->size()));
  s.set_constraint(std::make_unique<GrammarConstraint>(g, v));
  std::vector<float> logits(v->size(), 0.0f);
  logits[13] = 10;  // "x" is the model's favourite and never fits
  logits[12] = 5;   // "12", then "12" again would pass 20
  std::string out;
  for (int i = 0; i < 4; ++i) {
    const int32_t t = s.sample(logits.data());
    s.accept(t);
    if (t == 0) break;
    out += v->piece(t);
  }
  EXPECT_EQ(out.substr(0, 2), "12");
  EXPECT_LE(std::stoi(out), 20);
}

TEST(GrammarConstraint, NoAllowedTokenIsAnErrorNotAHang) {
  auto g = Grammar::parse(R"(root ::= "q")");
  auto v = toy_vocab();
  Params p;
  Sampler s(p, static_cast<int32_t>(v->size()));
  s.set_constraint(std::make_unique<GrammarConstraint>(g, v));
  std::vector<float> logits(v->size(), 0.0f);
  EXPECT_THROW(s.sample(logits.data()), hearth::Error);
}

}  // namespace
