// Hand-made vocabularies for unit tests, written as GGUF metadata so the whole loading path
// (load_vocab + Tokenizer::from_gguf) runs.
#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer::testvocab {

struct Tok {
  std::string text;
  float score = 0.0f;
  int type = 1;
};

inline void set_tokens(gguf::Writer& w, const std::vector<Tok>& toks) {
  std::vector<std::string> texts;
  std::vector<gguf::Value> scores, types;
  for (const auto& t : toks) {
    texts.push_back(t.text);
    scores.push_back(gguf::Value::f32(t.score));
    types.push_back(gguf::Value::i32(t.type));
  }
  w.set("tokenizer.ggml.tokens", gguf::Value::strings(texts));
  w.set("tokenizer.ggml.scores", gguf::Value::array(gguf::ValueType::FLOAT32, scores));
  w.set("tokenizer.ggml.token_type", gguf::Value::array(gguf::ValueType::INT32, types));
}

// SPM: <unk> <s> </s>, 256 byte tokens (ids 3..258), then pieces from id 259.
inline std::vector<Tok> spm_tokens() {
  std::vector<Tok> t = {{"<unk>", 0, 2}, {"<s>", 0, 3}, {"</s>", 0, 3}};
  char buf[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    t.push_back({buf, 0, 6});
  }
  for (const char* s : {"\xE2\x96\x81", "a", "b", "c"}) t.push_back({s, -10});  // 259..262
  t.push_back({"\xE2\x96\x81" "a", -1});    // 263
  t.push_back({"ab", -2});                   // 264
  t.push_back({"\xE2\x96\x81" "ab", -0.5});  // 265
  t.push_back({"bc", -0.1f});                // 266
  t.push_back({"<|user|>", 0, 4});           // 267 user-defined
  return t;
}

inline gguf::Writer spm_writer() {
  gguf::Writer w;
  w.set("tokenizer.ggml.model", gguf::Value::str("llama"));
  set_tokens(w, spm_tokens());
  return w;
}

// Byte-level BPE: the 256 byte code points (id = byte's rank in the GPT-2 map order used here:
// id b for byte b), then `extra` tokens, then the control token <|end|>.
inline gguf::Writer bpe_writer(const std::vector<std::string>& extra,
                               const std::vector<std::string>& merges,
                               const std::string& pre = "gpt-2") {
  std::vector<Tok> t;
  for (int b = 0; b < 256; ++b) t.push_back({unicode::byte_to_text(static_cast<uint8_t>(b))});
  for (const auto& e : extra) t.push_back({e});
  t.push_back({"<|end|>", 0, 3});
  gguf::Writer w;
  w.set("tokenizer.ggml.model", gguf::Value::str("gpt2"));
  w.set("tokenizer.ggml.pre", gguf::Value::str(pre));
  set_tokens(w, t);
  w.set("tokenizer.ggml.merges", gguf::Value::strings(merges));
  w.set("tokenizer.ggml.eos_token_id", gguf::Value::u32(static_cast<uint32_t>(t.size() - 1)));
  w.set("tokenizer.ggml.bos_token_id", gguf::Value::u32(static_cast<uint32_t>(t.size() - 1)));
  return w;
}

// Keeps the serialized bytes alive as long as the parsed File.
struct Parsed {
  std::vector<uint8_t> bytes;
  std::unique_ptr<gguf::File> file;
};

inline Parsed parse(const gguf::Writer& w) {
  Parsed p;
  p.bytes = w.serialize();
  p.file = std::make_unique<gguf::File>(gguf::File::parse(p.bytes.data(), p.bytes.size(), "test.gguf"));
  return p;
}

inline std::unique_ptr<Tokenizer> load(const gguf::Writer& w) {
  Parsed p = parse(w);
  return Tokenizer::from_gguf(*p.file);
}

}  // namespace hearth::tokenizer::testvocab
