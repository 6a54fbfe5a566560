// The generated vocabularies of `hearth synth` (tokenizer/synth_vocab): each style's special
// tokens at their ids, and the harmony style's chat template rendering gpt-oss's format.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "jinja/chat.h"
#include "tokenizer/synth_vocab.h"

using namespace hearth;
using tokenizer::make_synth_vocab;
using tokenizer::SynthVocabStyle;

namespace {

// o200k_harmony's specials from 199998, in its order.
const std::vector<std::string> kHarmonyNamed = {
    "<|startoftext|>", "<|endoftext|>", "<|reserved_200000|>", "<|reserved_200001|>", "<|return|>",
    "<|constrain|>", "<|reserved_200004|>", "<|channel|>", "<|start|>", "<|end|>", "<|message|>",
    "<|reserved_200009|>", "<|reserved_200010|>", "<|reserved_200011|>", "<|call|>"};

void expect_harmony_specials(const tokenizer::SynthVocab& v, int32_t base) {
  for (size_t i = 0; i < kHarmonyNamed.size(); ++i) {
    EXPECT_EQ(v.tokens[base + i], kHarmonyNamed[i]) << "size " << v.tokens.size();
    EXPECT_EQ(v.types[base + i], 3) << kHarmonyNamed[i];  // control, as in gpt-oss files
  }
  EXPECT_EQ(v.types[base - 1], 1);  // the last regular token
  EXPECT_EQ(v.pre, "gpt-4o");
  EXPECT_EQ(v.bos_id, base + 0);  // <|startoftext|>
  EXPECT_EQ(v.eos_id, base + 4);  // <|return|>
  EXPECT_EQ(v.pad_id, base + 1);  // <|endoftext|>
  EXPECT_EQ(v.eot_id, -1);
  EXPECT_FALSE(v.add_bos);
}

TEST(SynthVocab, HarmonySpecialsLeadTheSpecialBlock) {
  for (int64_t n : {1024, 2048, 65535}) {  // 16 special ids: the 15 named ones fit
    const auto v = make_synth_vocab(SynthVocabStyle::harmony, n);
    ASSERT_EQ(static_cast<int64_t>(v.tokens.size()), n);
    ASSERT_EQ(v.types.size(), v.tokens.size());
    expect_harmony_specials(v, static_cast<int32_t>(n - 16));
    EXPECT_EQ(v.tokens.back(), "<|reserved_200013|>");  // fillers continue o200k's numbering
  }
  const auto v = make_synth_vocab(SynthVocabStyle::harmony, 65536);  // 256 special ids
  expect_harmony_specials(v, 65536 - 256);
  EXPECT_EQ(v.tokens.back(), "<|reserved_200253|>");
}

TEST(SynthVocab, HarmonyAtO200kSizeHasTheRealIds) {
  const auto v = make_synth_vocab(SynthVocabStyle::harmony, 201088);  // gpt-oss's vocab_size
  ASSERT_EQ(v.tokens.size(), 201088u);
  expect_harmony_specials(v, 199998);
  EXPECT_EQ(v.eos_id, 200002);
  EXPECT_EQ(v.tokens[200005], "<|channel|>");
  EXPECT_EQ(v.tokens[200012], "<|call|>");
  EXPECT_EQ(v.tokens.back(), "<|reserved_201087|>");
}

TEST(SynthVocab, OtherStylesKeepTheirIds) {
  const auto l = make_synth_vocab(SynthVocabStyle::llama3, 2048);
  EXPECT_EQ(l.tokens[2032], "<|begin_of_text|>");
  EXPECT_EQ(l.eos_id, 2041);
  EXPECT_EQ(l.eot_id, 2041);
  EXPECT_TRUE(l.add_bos);
  EXPECT_EQ(l.tokens.back(), "<|reserved_special_token_15|>");
  const auto c = make_synth_vocab(SynthVocabStyle::chatml, 151936);
  EXPECT_EQ(c.tokens[151936 - 256], "<|endoftext|>");
  EXPECT_EQ(c.eos_id, 151936 - 256 + 2);
  EXPECT_EQ(c.pre, "qwen2");
  EXPECT_EQ(c.merges, make_synth_vocab(SynthVocabStyle::chatml, 151936).merges);
  EXPECT_THROW(make_synth_vocab(SynthVocabStyle::harmony, 1023), Error);
}

TEST(SynthVocab, HarmonyTemplateRendersAToolConversation) {
  const auto v = make_synth_vocab(SynthVocabStyle::harmony, 2048);
  jinja::ChatInput in;
  in.messages = ordered_json::parse(R"([
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
      "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "18 C"},
    {"role": "assistant", "content": "18 C.", "reasoning_content": "not rendered"},
    {"role": "user", "content": "Rome?"},
    {"role": "assistant", "content": "Checking.", "tool_calls": [{"id": "c2", "type": "function",
      "function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]},
    {"role": "tool", "name": "get_weather", "content": "24 C"},
    {"role": "tool", "content": "no name"}
  ])");
  in.tools = ordered_json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather.",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "now"}}
  ])");
  in.add_generation_prompt = true;
  const std::string want =
      "<|start|>system<|message|>You are a helpful assistant.\nReasoning: medium\n\n"
      "# Valid channels: analysis, commentary, final. Channel must be included for every message.\n"
      "Calls to these tools must go to the commentary channel: 'functions'.<|end|>"
      "<|start|>developer<|message|># Instructions\n\nAnswer briefly.\n\n# Tools\n\n## functions\n\n"
      "namespace functions {\n\n// Current weather.\n"
      "type get_weather = (_: {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}) => any;\n\n"
      "type now = () => any;\n\n} // namespace functions<|end|>"
      "<|start|>user<|message|>Weather in Paris?<|end|>"
      "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
      "{\"city\":\"Paris\"}<|call|>"
      "<|start|>functions.get_weather<|channel|>commentary<|message|>18 C<|end|>"
      "<|start|>assistant<|channel|>final<|message|>18 C.<|end|>"
      "<|start|>user<|message|>Rome?<|end|>"
      "<|start|>assistant<|channel|>analysis<|message|>Checking.<|end|>"
      "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
      "{\"city\": \"Rome\"}<|call|>"
      "<|start|>functions.get_weather<|channel|>commentary<|message|>24 C<|end|>"
      "<|start|>functions.tool<|channel|>commentary<|message|>no name<|end|>"
      "<|start|>assistant";
  EXPECT_EQ(jinja::render_chat(v.chat_template, in), want);

  // No tools and no system message: no developer message; the effort is a variable.
  jinja::ChatInput plain;
  plain.messages = ordered_json::parse(R"([{"role": "user", "content": "hi"}])");
  plain.add_generation_prompt = true;
  plain.extra_context["reasoning_effort"] = "high";
  EXPECT_EQ(jinja::render_chat(v.chat_template, plain),
            "<|start|>system<|message|>You are a helpful assistant.\nReasoning: high\n\n"
            "# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>"
            "<|start|>user<|message|>hi<|end|><|start|>assistant");
}

}  // namespace
