// Broken tokenizer metadata must give a clear Error naming the key, never a crash.
#include <gtest/gtest.h>

#include "core/error.h"
#include "small_vocab.h"

namespace hearth::tokenizer {
namespace {

using namespace testvocab;

void expect_error(const gguf::Writer& w, Errc code, const std::string& mentions) {
  try {
    load(w);
    ADD_FAILURE() << "expected an error mentioning " << mentions;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(MalformedVocab, TokenTypeShorterThanTokens) {
  auto w = spm_writer();
  w.set("tokenizer.ggml.token_type",
        gguf::Value::array(gguf::ValueType::INT32, {gguf::Value::i32(1), gguf::Value::i32(1)}));
  expect_error(w, Errc::format, "tokenizer.ggml.token_type");
}

TEST(MalformedVocab, ScoresLengthMismatch) {
  auto w = spm_writer();
  w.set("tokenizer.ggml.scores", gguf::Value::array(gguf::ValueType::FLOAT32, {gguf::Value::f32(0)}));
  expect_error(w, Errc::format, "tokenizer.ggml.scores");
}

TEST(MalformedVocab, TokenTypeOutOfRange) {
  auto toks = spm_tokens();
  toks[5].type = 42;
  gguf::Writer w;
  w.set("tokenizer.ggml.model", gguf::Value::str("llama"));
  set_tokens(w, toks);
  expect_error(w, Errc::format, "token_type[5]");
}

TEST(MalformedVocab, MergeReferencingUnknownToken) {
  expect_error(bpe_writer({}, {"a b", "zz q"}), Errc::format, "tokenizer.ggml.merges[1]");
}

TEST(MalformedVocab, MergeWithoutSeparator) {
  expect_error(bpe_writer({}, {"ab"}), Errc::format, "tokenizer.ggml.merges[0]");
}

TEST(MalformedVocab, BpeWithoutMerges) {
  auto w = bpe_writer({}, {"a b"});
  w.set("tokenizer.ggml.merges", gguf::Value::strings({}));
  expect_error(w, Errc::format, "tokenizer.ggml.merges");
}

TEST(MalformedVocab, BosIdOutOfRange) {
  auto w = spm_writer();
  w.set("tokenizer.ggml.bos_token_id", gguf::Value::u32(100000));
  expect_error(w, Errc::format, "tokenizer.ggml.bos_token_id");
}

TEST(MalformedVocab, MissingOrUnknownModel) {
  gguf::Writer empty;
  empty.set("general.architecture", gguf::Value::str("llama"));
  expect_error(empty, Errc::format, "tokenizer.ggml.model");
  auto w = spm_writer();
  w.set("tokenizer.ggml.model", gguf::Value::str("t5"));
  expect_error(w, Errc::unsupported, "t5");
}

TEST(MalformedVocab, MissingTokens) {
  gguf::Writer w;
  w.set("tokenizer.ggml.model", gguf::Value::str("llama"));
  expect_error(w, Errc::format, "tokenizer.ggml.tokens");
}

TEST(MalformedVocab, WrongValueType) {
  auto w = spm_writer();
  w.set("tokenizer.ggml.tokens", gguf::Value::u32(7));
  try {
    load(w);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.tokens"), std::string::npos) << e.what();
  }
}

TEST(MalformedVocab, NoneIdWrittenAsUint32MinusOne) {
  auto w = spm_writer();
  w.set("tokenizer.ggml.seperator_token_id", gguf::Value::u32(0xFFFFFFFFu));
  EXPECT_EQ(load(w)->sep(), -1);
}

}  // namespace
}  // namespace hearth::tokenizer
