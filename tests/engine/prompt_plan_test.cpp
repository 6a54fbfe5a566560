// The scheduler's choice of prompt tokens per step (plan_prompt_step).
#include <gtest/gtest.h>

#include <vector>

#include "engine/prompt_plan.h"

using hearth::engine::plan_prompt_step;
using hearth::engine::PromptWait;
using V = std::vector<int64_t>;

TEST(PromptPlan, EqualPromptsFinishOneAfterAnother) {
  // Eight 32-token prompts admitted together: one whole prompt per step, in arrival order.
  std::vector<PromptWait> w(8, PromptWait{32, 0});
  EXPECT_EQ(plan_prompt_step(w, 512, 32), (V{32, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(plan_prompt_step(w, 512, 64), (V{32, 32, 0, 0, 0, 0, 0, 0}));
}

TEST(PromptPlan, ShortestFirstAndSmallPromptsShareAStep) {
  std::vector<PromptWait> w{{300, 0}, {5, 0}, {12, 0}, {20, 0}};
  // 5 + 12 + 20 = 37 >= 32: the long prompt waits this step.
  EXPECT_EQ(plan_prompt_step(w, 512, 32), (V{0, 5, 12, 20}));
}

TEST(PromptPlan, LongPromptsAreChunkedAtTheBatchSize) {
  std::vector<PromptWait> w{{1000, 0}};
  EXPECT_EQ(plan_prompt_step(w, 256, 32), (V{256}));
  std::vector<PromptWait> two{{100, 0}, {90, 0}};
  EXPECT_EQ(plan_prompt_step(two, 120, 200), (V{30, 90}));  // the budget ends inside the second
}

TEST(PromptPlan, AWaitingLongPromptIsNotStarved) {
  // Ranked by tokens left minus target per step waited: after 10 steps the 300-token prompt
  // (300 - 320 < 0) goes before a fresh 32-token one.
  std::vector<PromptWait> w{{300, 10}, {32, 0}};
  EXPECT_EQ(plan_prompt_step(w, 512, 32), (V{300, 0}));
  std::vector<PromptWait> early{{300, 5}, {32, 0}};
  EXPECT_EQ(plan_prompt_step(early, 512, 32), (V{0, 32}));
}

TEST(PromptPlan, NothingWaitingPlansNothing) { EXPECT_TRUE(plan_prompt_step({}, 512, 32).empty()); }
