// The <think> splitter: reasoning and answer come apart however the reply is cut into deltas,
// a reply without a block is all answer, and a prompt that opens the block starts inside it.
#include <gtest/gtest.h>

#include "engine/reasoning.h"

namespace {

using hearth::engine::ReasoningSplitter;

// Feeds `text` in pieces of `step` bytes and joins what comes out.
std::pair<std::string, std::string> split(const std::string& text, size_t step, bool inside) {
  ReasoningSplitter s(inside);
  std::string r, t;
  for (size_t i = 0; i < text.size(); i += step) {
    auto p = s.push(std::string_view(text).substr(i, step));
    r += p.reasoning;
    t += p.text;
  }
  auto p = s.flush();
  return {r + p.reasoning, t + p.text};
}

TEST(Reasoning, BlockAndAnswerComeApartAtAnyCut) {
  for (size_t step : {1u, 2u, 3u, 7u, 100u}) {
    SCOPED_TRACE(step);
    EXPECT_EQ(split("<think>plan a < b</think>\n\nThe answer.", step, false),
              std::make_pair(std::string("plan a < b"), std::string("The answer.")));
    EXPECT_EQ(split("\n<think>x</think>y", step, false), std::make_pair(std::string("x"), std::string("y")));
    // The prompt already opened it (Qwen3, DeepSeek-R1).
    EXPECT_EQ(split("steps</think>\n\nDone", step, true), std::make_pair(std::string("steps"), std::string("Done")));
    // No block: all answer, including a <think> later on or a lone '<'.
    EXPECT_EQ(split("Hello <think>not a block</think>", step, false),
              std::make_pair(std::string(), std::string("Hello <think>not a block</think>")));
    EXPECT_EQ(split("<b>bold</b>", step, false), std::make_pair(std::string(), std::string("<b>bold</b>")));
    // Cut off while thinking: everything is reasoning.
    EXPECT_EQ(split("<think>still going </thi", step, false),
              std::make_pair(std::string("still going </thi"), std::string()));
  }
}

TEST(Reasoning, TemplatesAndPrompts) {
  EXPECT_TRUE(hearth::engine::template_has_reasoning("{{ '<think>' }}...{{ '</think>' }}"));
  EXPECT_FALSE(hearth::engine::template_has_reasoning("{{ messages }}"));
  EXPECT_TRUE(hearth::engine::prompt_opens_reasoning("<|im_start|>assistant\n<think>\n"));
  EXPECT_FALSE(hearth::engine::prompt_opens_reasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(hearth::engine::prompt_opens_reasoning(""));
}

}  // namespace
