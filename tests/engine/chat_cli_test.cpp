// `hearth chat` end to end with piped input: two turns, the second of which must reuse the
// KV cache of the first (checked through the --verbose statistics line).
#include <gtest/gtest.h>

#include <regex>

#include "support/shared_data.h"

namespace hearth::test {
namespace {

struct TurnStat {
  long prompt_tokens, processed, reused, generated;
};

std::vector<TurnStat> turn_stats(const std::string& err) {
  std::vector<TurnStat> out;
  std::regex re(R"(\[turn (\d+)\] prompt_tokens=(\d+) processed=(\d+) reused=(\d+) generated=(\d+))");
  for (auto it = std::sregex_iterator(err.begin(), err.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back({std::stol((*it)[2]), std::stol((*it)[3]), std::stol((*it)[4]), std::stol((*it)[5])});
  return out;
}

std::string chat(const std::string& model, const std::string& input, const std::string& flags, int* rc, std::string* err) {
  std::string out;
  *rc = run_command("printf '" + input + "' | " + hearth_bin() + " chat -m " + shared_path("models/" + model).string() +
                        " --temp 0 -t 2 --verbose " + flags,
                    &out, err);
  return out;
}

void expect_second_turn_reuses_first(const std::vector<TurnStat>& s) {
  ASSERT_GE(s.size(), 2u);
  EXPECT_EQ(s[0].reused, 0);
  EXPECT_EQ(s[0].processed, s[0].prompt_tokens);
  EXPECT_GT(s[1].prompt_tokens, s[0].prompt_tokens);
  // Turn 2 takes at least turn 1's whole prompt from the cache (the token at the prompt/reply
  // boundary may re-tokenize differently) and runs only what is new.
  EXPECT_GE(s[1].reused, s[0].prompt_tokens - 1);
  EXPECT_EQ(s[1].processed, s[1].prompt_tokens - s[1].reused);
  EXPECT_LE(s[1].processed, s[1].prompt_tokens - s[0].prompt_tokens + 1);
}

TEST(ChatCli, QwenChatMLTemplateTwoTurnsReuseCache) {
  HEARTH_REQUIRE_SHARED();
  int rc = -1;
  std::string err;
  std::string out = chat("tiny-qwen2-bpe-Q8_0.gguf", "Hello there\\nTell me more\\n", "-n 12", &rc, &err);
  ASSERT_EQ(rc, 0) << err;
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(err.find("no chat template"), std::string::npos) << err;
  auto s = turn_stats(err);
  expect_second_turn_reuses_first(s);
}

TEST(ChatCli, StoriesFallbackFormatResetAndExit) {
  HEARTH_REQUIRE_SHARED();
  int rc = -1;
  std::string err;
  std::string out = chat("stories260K.gguf", "Once upon a time\\nWhat happened next?\\n/reset\\nHello\\n/exit\\nnever read\\n",
                         "-n 20", &rc, &err);
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("no chat template"), std::string::npos) << err;
  EXPECT_GT(out.size(), 10u);
  auto s = turn_stats(err);
  ASSERT_EQ(s.size(), 3u) << err;  // "/exit" stops before the fourth line
  expect_second_turn_reuses_first(s);
  EXPECT_EQ(s[2].reused, 0) << "after /reset nothing is reused";
  EXPECT_NE(err.find("[history and cache cleared]"), std::string::npos);
}

TEST(ChatCli, ContextShiftDropsTheEarliestTurnsInsteadOfRefusing) {
  HEARTH_REQUIRE_SHARED();
  const std::string turns = "Hello there friend\\nTell me more about it\\nAnd then what happened\\nGo on please\\n";
  int rc = -1;
  std::string err;
  chat("tiny-qwen2-bpe-Q8_0.gguf", turns, "-n 16 -c 64", &rc, &err);
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("tokens but the context holds 64"), std::string::npos) << err;
  chat("tiny-qwen2-bpe-Q8_0.gguf", turns, "-n 16 -c 64 --context-shift", &rc, &err);
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("earliest messages dropped]"), std::string::npos) << err;
  EXPECT_EQ(err.find("tokens but the context holds"), std::string::npos) << err;
  EXPECT_EQ(turn_stats(err).size(), 4u) << err;
}

TEST(ChatCli, EndOfInputQuitsCleanly) {
  HEARTH_REQUIRE_SHARED();
  int rc = -1;
  std::string err;
  chat("stories260K.gguf", "", "", &rc, &err);
  EXPECT_EQ(rc, 0) << err;
}

}  // namespace
}  // namespace hearth::test
