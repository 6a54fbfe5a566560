// The summary behind `hearth inspect`: value formatting and totals on the sample file.
#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "gguf/summary.h"
#include "sample.h"

using namespace hearth;
using namespace hearth::gguf;

TEST(GgufSummary, FloatsPrintShortestAndArraysSummarise) {
  EXPECT_EQ(value_to_text(Value::f32(1e-5f), 8, 80), "1e-05");
  EXPECT_EQ(value_to_json(Value::f32(1e-5f), 8).dump(), "1e-05");
  EXPECT_EQ(value_to_text(Value::u32(7), 8, 80), "7");
  EXPECT_EQ(value_to_text(Value::u64(~uint64_t{0}), 8, 80), "18446744073709551615");
  EXPECT_EQ(value_to_json(Value::u64(~uint64_t{0}), 8).dump(), "18446744073709551615");
  EXPECT_EQ(value_to_text(Value::strings({"a", "b"}), 8, 80), "[\"a\", \"b\"]");
  EXPECT_EQ(value_to_text(Value::strings({"a", "b", "c"}), 2, 80), "[3 items of string]");
  EXPECT_EQ(value_to_json(Value::strings({"a", "b", "c"}), 2).dump(),
            R"({"type":"array","elem_type":"string","length":3})");
}

TEST(GgufSummary, LongStringsAreEscapedAndCutOnACharacterBoundary) {
  EXPECT_EQ(value_to_text(Value::str("a\nb"), 8, 80), "\"a\\nb\"");
  // "é" is two bytes; a cut after 2 bytes must not keep half of it.
  EXPECT_EQ(value_to_text(Value::str("x\xC3\xA9yz"), 8, 2), "\"x\"... (5 bytes)");
}

TEST(GgufSummary, SampleFileTotalsAndSections) {
  const auto bytes = hearth::gguf::test::sample_gguf();
  File f = File::parse(bytes.data(), bytes.size(), "sample.gguf");
  ordered_json s = summarize(f);
  EXPECT_EQ(s["architecture"], "llama");
  EXPECT_EQ(s["hyperparameters"]["block_count"], 1);
  EXPECT_EQ(s["hyperparameters"]["rope.freq_base"], 10000.0);
  EXPECT_EQ(s["tokenizer"]["vocab_size"], 3);
  EXPECT_EQ(s["tokenizer"]["chat_template"], false);
  EXPECT_EQ(s["metadata"]["test.i8"], -100);
  EXPECT_EQ(s["metadata"]["test.nested"], ordered_json::parse("[[1,2],[3]]"));
  EXPECT_EQ(s["tensors"].size(), 4u);
  EXPECT_EQ(s["totals"]["parameters"], 8 + 64 + 16 + 8);
  EXPECT_EQ(s["totals"]["bytes"], 32 + 68 + 32 + 32);
  EXPECT_EQ(s["totals"]["by_type"]["f32"]["tensors"], 2);
  EXPECT_EQ(s["totals"]["by_type"]["q8_0"]["bytes"], 68);
  SummaryOptions no_tensors;
  no_tensors.tensors = false;
  EXPECT_FALSE(summarize(f, no_tensors).contains("tensors"));
}
