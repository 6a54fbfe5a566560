// Special-token parsing, detokenization of special tokens, the EOG set and streaming decode.
#include <gtest/gtest.h>

#include "core/utf8.h"
#include "gguf/gguf.h"
#include "small_vocab.h"
#include "support/shared_data.h"

namespace hearth::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using namespace testvocab;

TEST(SpecialTokens, ControlTextIsPlainUnlessParseSpecial) {
  auto tok = load(bpe_writer({}, {"a b"}));
  const int32_t end = 256;
  Ids plain = tok->encode("x<|end|>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), end), 0);
  EXPECT_EQ(tok->decode(plain), "x<|end|>");
  EXPECT_EQ(tok->encode("x<|end|>y", false, true), (Ids{'x', end, 'y'}));
  EXPECT_EQ(tok->encode("<|end|><|end|>", false, true), (Ids{end, end}));
}

TEST(SpecialTokens, DecodeDropsControlTokensUnlessRendered) {
  auto tok = load(bpe_writer({}, {"a b"}));
  Ids ids = tok->encode("x<|end|>y", false, true);
  EXPECT_EQ(tok->decode(ids), "xy");
  EXPECT_EQ(tok->decode(ids, true), "x<|end|>y");
  EXPECT_EQ(tok->token_to_piece(256), "");
  EXPECT_EQ(tok->token_to_piece(256, true), "<|end|>");
  EXPECT_EQ(tok->token_to_piece(99999), "");
  EXPECT_EQ(tok->token_to_piece(-1), "");
}

TEST(SpecialTokens, UserDefinedTokensAlwaysMatch) {
  auto tok = load(spm_writer());
  // <|user|> (267) is user-defined: matched even without parse_special; the text after it
  // gets no space prefix because the prefix only follows a special token...
  Ids ids = tok->encode("<|user|>ab", false, false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], 267);
  // ...which llama.cpp applies after any special token, so "ab" gets "▁ab".
  EXPECT_EQ(ids, (Ids{267, 265}));
  EXPECT_EQ(tok->token_to_piece(267), "<|user|>");
}

TEST(SpecialTokens, SpmControlTokenSplitsText) {
  auto tok = load(spm_writer());
  EXPECT_EQ(tok->encode("ab</s>ab", false, true), (Ids{265, 2, 265}));
  EXPECT_EQ(tok->decode({1, 265, 2}), "ab");
  EXPECT_EQ(tok->decode({1, 265, 2}, true), "<s> ab</s>");
}

TEST(SpecialTokens, Phi3SpecialTokensEatTheWhitespaceAfterThem) {
  // llama.cpp marks every special token of a model named phi-3/phi3 as right-stripping, except
  // <unk>, <s> and <|endoftext|>: "\n " after <|user|> or </s> is dropped, after <s> kept.
  gguf::Writer phi = spm_writer();
  phi.set("general.name", gguf::Value::str("Phi-3-mini-4k-instruct"));
  auto p = load(phi);
  auto plain = load(spm_writer());
  EXPECT_EQ(p->encode("<|user|>\n ab</s> ab", false, true), (Ids{267, 265, 2, 265}));
  EXPECT_EQ(p->encode("<|user|>\n\t\r ab", false, false), (Ids{267, 265}));  // user-defined: cut anyway
  EXPECT_NE(plain->encode("<|user|>\n ab</s> ab", false, true), (Ids{267, 265, 2, 265}));
  EXPECT_EQ(p->encode("<s>\n ab", false, true), plain->encode("<s>\n ab", false, true));
  // Only whitespace to the right: text before the token keeps its spaces.
  EXPECT_EQ(p->encode("ab </s>", false, true), plain->encode("ab </s>", false, true));
}

TEST(SpecialTokens, MaskTokenEatsTheWhitespaceBeforeIt) {
  // nomic-bert-moe (and jina-v2 pre-tokenizers): <mask> left-strips.
  std::vector<Tok> toks = spm_tokens();
  toks.push_back({"<mask>", 0, 4});  // 268
  gguf::Writer w;
  w.set("tokenizer.ggml.model", gguf::Value::str("llama"));
  set_tokens(w, toks);
  auto plain = load(w);
  w.set("general.architecture", gguf::Value::str("nomic-bert-moe"));
  auto moe = load(w);
  EXPECT_EQ(moe->encode("ab \n<mask>", false, false), (Ids{265, 268}));
  EXPECT_NE(plain->encode("ab \n<mask>", false, false), (Ids{265, 268}));
  EXPECT_EQ(moe->encode("<mask> ab", false, false), plain->encode("<mask> ab", false, false));
}

TEST(SpecialTokens, EndOfGenerationSet) {
  HEARTH_REQUIRE_SHARED();
  auto q = gguf::File::open(test::shared_path("vocab/ggml-vocab-qwen2-rebuilt.gguf").string());
  auto tok = Tokenizer::from_gguf(q);
  int32_t im_end = tok->find_token("<|im_end|>");
  ASSERT_GE(im_end, 0);
  EXPECT_TRUE(tok->is_eog(im_end));
  EXPECT_TRUE(tok->is_eog(tok->eos()));
  EXPECT_FALSE(tok->is_eog(tok->find_token("Hello")));
  EXPECT_EQ(tok->encode("<|im_end|>", false, true), (Ids{im_end}));

  auto l = gguf::File::open(test::shared_path("vocab/ggml-vocab-llama-bpe-rebuilt.gguf").string());
  auto llama3 = Tokenizer::from_gguf(l);
  EXPECT_TRUE(llama3->add_bos());
  EXPECT_TRUE(llama3->is_eog(llama3->find_token("<|eot_id|>")));
  Ids ids = llama3->encode("Hi", true, false);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], llama3->bos());
}

// o200k_harmony (gpt-oss), as llama.cpp reads it: replies end at <|return|> or <|call|>, while
// <|end|> closes one message of a reply and, like the channel markers, is text.
TEST(SpecialTokens, HarmonyStructureIsTextAndEndsAtReturnOrCall) {
  std::vector<Tok> t;
  for (int b = 0; b < 256; ++b) t.push_back({unicode::byte_to_text(static_cast<uint8_t>(b))});
  for (const char* s : {"<|startoftext|>", "<|endoftext|>", "<|return|>", "<|constrain|>", "<|channel|>", "<|start|>",
                        "<|end|>", "<|message|>", "<|call|>"})
    t.push_back({s, 0, 3});
  gguf::Writer w;
  w.set("tokenizer.ggml.model", gguf::Value::str("gpt2"));
  w.set("tokenizer.ggml.pre", gguf::Value::str("gpt-4o"));
  set_tokens(w, t);
  w.set("tokenizer.ggml.merges", gguf::Value::strings({"a b"}));
  w.set("tokenizer.ggml.bos_token_id", gguf::Value::u32(256));
  w.set("tokenizer.ggml.eos_token_id", gguf::Value::u32(258));
  auto tok = load(w);
  const int32_t ret = tok->find_token("<|return|>"), call = tok->find_token("<|call|>"), end = tok->find_token("<|end|>");
  const int32_t channel = tok->find_token("<|channel|>"), message = tok->find_token("<|message|>");
  EXPECT_TRUE(tok->is_eog(ret));
  EXPECT_TRUE(tok->is_eog(call));
  EXPECT_FALSE(tok->is_eog(end));
  EXPECT_FALSE(tok->is_control(end));
  EXPECT_FALSE(tok->is_control(channel));
  EXPECT_TRUE(tok->is_control(tok->find_token("<|endoftext|>")));
  // Structure tokens decode as text and are matched in text without parse_special.
  const Ids ids = tok->encode("<|channel|>final<|message|>hi<|end|>", false, false);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), channel);
  EXPECT_EQ(ids.back(), end);
  EXPECT_NE(std::find(ids.begin(), ids.end(), message), ids.end());
  EXPECT_EQ(tok->decode(ids), "<|channel|>final<|message|>hi<|end|>");
  // Without <|call|>, <|end|> stays an end (Phi-3 and others use it so).
  auto phi = load(bpe_writer({}, {"a b"}));
  EXPECT_TRUE(phi->is_eog(phi->find_token("<|end|>")));
}

TEST(StreamDecoder, ControlTokensCanBeReadAsText) {
  auto tok = load(bpe_writer({}, {"a b"}));
  const int32_t end = tok->find_token("<|end|>");
  StreamDecoder plain(*tok), marked(*tok);
  marked.add_text_token(end);
  EXPECT_EQ(plain.push('x') + plain.push(end), "x");
  EXPECT_EQ(marked.push('x') + marked.push(end), "x<|end|>");
}

TEST(StreamDecoder, HoldsBackSplitCharacters) {
  auto tok = load(spm_writer());
  const std::string text = "a\xE6\x97\xA5 b\xC3\xA9\xF0\x9F\x98\x80";  // 日, é, 😀 as byte tokens
  Ids ids = tok->encode(text, true, false);
  StreamDecoder dec(*tok);
  std::string joined;
  for (int32_t id : ids) {
    std::string part = dec.push(id);
    EXPECT_TRUE(utf8::valid(part)) << "chunk after token " << id;
    joined += part;
  }
  joined += dec.flush();
  EXPECT_EQ(joined, text);
  EXPECT_EQ(joined, tok->decode(ids));
}

TEST(StreamDecoder, FlushReplacesAnIncompleteTail) {
  auto tok = load(spm_writer());
  StreamDecoder dec(*tok);
  EXPECT_EQ(dec.push(3 + 0xE6), "");  // first byte of a 3-byte character
  EXPECT_EQ(dec.flush(), "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace hearth::tokenizer
