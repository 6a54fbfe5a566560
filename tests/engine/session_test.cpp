// Session: KV prefix reuse, truncation on divergence, context limits.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "engine/session.h"
#include "model/model.h"
#include "support/shared_data.h"

namespace hearth::engine {
namespace {

std::shared_ptr<const model::Model> stories() {
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
  auto m = stories();
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
  auto m = stories();
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
  Session s(stories(), nullptr, o);
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

TEST(Session, ContextAboveTrainedLengthIsRejected) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  SessionOptions o;
  o.n_ctx = m->hparams().n_ctx_train + 1;
  EXPECT_THROW(Session(m, nullptr, o), Error);
}

}  // namespace
}  // namespace hearth::engine
