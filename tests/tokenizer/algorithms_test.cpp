// SPM, BPE and WPM on hand-made vocabularies where the right answer can be worked out by hand.
#include <gtest/gtest.h>

#include "core/error.h"
#include "small_vocab.h"

namespace hearth::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using namespace testvocab;

TEST(Spm, MergesHighestScoreFirstWithSpacePrefix) {
  auto tok = load(spm_writer());
  // "▁ab": (▁,a)=-1 beats (a,b)=-2, then "▁a"+"b" = "▁ab".
  EXPECT_EQ(tok->encode("ab", false, false), (Ids{265}));
  // "abc": "bc" (-0.1) beats "▁a" (-1); then nothing joins "▁a"/"bc".
  EXPECT_EQ(tok->encode("abc", false, false), (Ids{263, 266}));
  // A space inside becomes ▁ and starts a new word.
  EXPECT_EQ(tok->encode("ab ab", false, false), (Ids{265, 265}));
}

TEST(Spm, AddsBosByDefaultAndEosOnlyWhenAsked) {
  auto tok = load(spm_writer());
  EXPECT_TRUE(tok->add_bos());
  EXPECT_EQ(tok->encode("ab", true, false), (Ids{1, 265}));
  auto w = spm_writer();
  w.set("tokenizer.ggml.add_eos_token", gguf::Value::boolean(true));
  w.set("tokenizer.ggml.add_bos_token", gguf::Value::boolean(false));
  EXPECT_EQ(load(w)->encode("ab", true, false), (Ids{265, 2}));
  EXPECT_EQ(tok->encode("", true, false), (Ids{1}));
  EXPECT_EQ(tok->encode("", false, false), (Ids{}));
}

TEST(Spm, UnknownCharactersFallBackToByteTokens) {
  auto tok = load(spm_writer());
  // "é" is C3 A9: byte tokens are id 3 + byte.
  EXPECT_EQ(tok->encode("\xC3\xA9", false, false), (Ids{259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(tok->decode(tok->encode("a\xC3\xA9 b", true, false)), "a\xC3\xA9 b");
}

TEST(Spm, NoSpacePrefixWhenMetadataSaysSo) {
  auto w = spm_writer();
  w.set("tokenizer.ggml.add_space_prefix", gguf::Value::boolean(false));
  EXPECT_EQ(load(w)->encode("ab", false, false), (Ids{264}));
}

TEST(Bpe, MergesLowestRankFirst) {
  // "ell": with "e l" ranked before "l l" we get "el"+"l"; the other way round "e"+"ll".
  auto a = load(bpe_writer({"el", "ll"}, {"e l", "l l"}));
  auto b = load(bpe_writer({"el", "ll"}, {"l l", "e l"}));
  const int32_t el = 256, ll = 257;
  EXPECT_EQ(a->encode("ell", false, false), (Ids{el, 'l'}));
  EXPECT_EQ(b->encode("ell", false, false), (Ids{'e', ll}));
}

TEST(Bpe, PreTokenizerKeepsWordsApart) {
  // "Ġ" + "a" would merge, but the gpt-2 regex puts " a" in one piece and "a" of "ba" in another.
  auto tok = load(bpe_writer({"\xC4\xA0" "a", "ba"}, {"\xC4\xA0 a", "b a"}));
  EXPECT_EQ(tok->encode("ba a", false, false), (Ids{257, 256}));
  EXPECT_EQ(tok->decode(tok->encode("ba a", false, false)), "ba a");
}

TEST(Bpe, EveryByteRoundTrips) {
  auto tok = load(bpe_writer({"ab"}, {"a b"}));
  std::string all;
  for (int b = 1; b < 256; ++b) all += static_cast<char>(b);
  std::string text = "hello \xE6\x97\xA5\xE6\x9C\xAC ab\n\ttab";
  EXPECT_EQ(tok->decode(tok->encode(text, false, false)), text);
  // Invalid UTF-8 is replaced by U+FFFD before pre-tokenization, never a crash.
  auto ids = tok->encode(all, false, false);
  EXPECT_FALSE(ids.empty());
}

TEST(Bpe, UnknownPreTokenizerIsAnError) {
  try {
    load(bpe_writer({}, {"a b"}, "no-such-pre"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
    EXPECT_NE(std::string(e.what()).find("no-such-pre"), std::string::npos);
  }
}

gguf::Writer wpm_writer() {
  gguf::Writer w;
  w.set("tokenizer.ggml.model", gguf::Value::str("bert"));
  const std::string u = "\xE2\x96\x81";
  set_tokens(w, {{"[PAD]", 0, 3}, {"[UNK]", 0, 2}, {"[CLS]", 0, 3}, {"[SEP]", 0, 3},
                 {u + "hello"}, {u + "world"}, {u + "un"}, {"aff"}, {"able"}, {u + "!"},
                 {u + ","}, {u + "cafe"}, {u + "\xE6\x97\xA5"}, {u + "\xE6\x9C\xAC"}});
  w.set("tokenizer.ggml.bos_token_id", gguf::Value::u32(2));
  w.set("tokenizer.ggml.seperator_token_id", gguf::Value::u32(3));
  w.set("tokenizer.ggml.unknown_token_id", gguf::Value::u32(1));
  w.set("tokenizer.ggml.padding_token_id", gguf::Value::u32(0));
  return w;
}

TEST(Wpm, BasicSplitThenLongestMatch) {
  auto tok = load(wpm_writer());
  // Accents stripped, lowercased, punctuation and CJK split, unknown word -> [UNK].
  EXPECT_EQ(tok->encode("H\xC3\xA9llo, UNAFFABLE w\xC3\xB6rld! caf\xC3\xA9 xyz \xE6\x97\xA5\xE6\x9C\xAC",
                        false, false),
            (Ids{4, 10, 6, 7, 8, 5, 9, 11, 1, 12, 13}));
  EXPECT_EQ(tok->encode("hello", true, false), (Ids{2, 4, 3}));
  EXPECT_EQ(tok->decode(tok->encode("hello unaffable world", true, false)),
            "hello unaffable world");
}

}  // namespace
}  // namespace hearth::tokenizer
