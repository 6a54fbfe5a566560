#include "sample.h"

#include <algorithm>
#include <stdexcept>

#include "gguf/gguf.h"

namespace hearth::gguf::test {

std::vector<uint8_t> sample_gguf() {
  Writer w;
  w.set("general.architecture", Value::str("llama"));
  w.set("general.name", Value::str("tiny test"));
  w.set("general.alignment", Value::u32(32));
  w.set("llama.block_count", Value::u32(1));
  w.set("llama.rope.freq_base", Value::f32(10000.0f));
  w.set("test.flag", Value::boolean(true));
  w.set("test.u8", Value{ValueType::UINT8, uint64_t{200}});
  w.set("test.i8", Value{ValueType::INT8, int64_t{-100}});
  w.set("test.u16", Value{ValueType::UINT16, uint64_t{60000}});
  w.set("test.i16", Value{ValueType::INT16, int64_t{-30000}});
  w.set("test.i32", Value::i32(-7));
  w.set("test.u64", Value::u64(uint64_t{1} << 40));
  w.set("test.i64", Value{ValueType::INT64, int64_t{-5}});
  w.set("test.f64", Value{ValueType::FLOAT64, 0.25});
  w.set("tokenizer.ggml.tokens", Value::strings({"<s>", "</s>", "h\xC3\xA9llo"}));
  w.set("test.nested", Value::array(ValueType::ARRAY,
                                    {Value::array(ValueType::INT32, {Value::i32(1), Value::i32(2)}),
                                     Value::array(ValueType::INT32, {Value::i32(3)})}));
  std::vector<float> embd(8);
  for (size_t i = 0; i < embd.size(); ++i) embd[i] = 0.5f * static_cast<float>(i);
  w.add_tensor("token_embd.weight", tensor::Type::F32, {4, 2}, embd.data(), embd.size() * 4);
  std::vector<uint8_t> q8(2 * 34);
  for (size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<uint8_t>(i * 7);
  w.add_tensor("blk.0.attn_q.weight", tensor::Type::Q8_0, {32, 2}, q8.data(), q8.size());
  std::vector<uint16_t> f16(16, 0x3c00);
  w.add_tensor("blk.0.attn_k.weight", tensor::Type::F16, {16}, f16.data(), f16.size() * 2);
  // The last tensor is a whole number of alignment units, so the file has no trailing padding
  // and every proper prefix of it is invalid.
  std::vector<float> norm(8, 1.0f);
  w.add_tensor("output_norm.weight", tensor::Type::F32, {8}, norm.data(), norm.size() * 4);
  return w.serialize();
}

std::vector<uint8_t> sample_vocab_gguf() {
  Writer w;
  w.set("general.architecture", Value::str("llama"));
  w.set("tokenizer.ggml.model", Value::str("gpt2"));
  w.set("tokenizer.ggml.tokens", Value::strings({"a", "b", "ab", "\xC4\xA0"}));
  w.set("tokenizer.ggml.merges", Value::strings({"a b"}));
  w.set("tokenizer.ggml.scores",
        Value::array(ValueType::FLOAT32, {Value::f32(0), Value::f32(-1), Value::f32(-2), Value::f32(-3)}));
  w.set("tokenizer.ggml.bos_token_id", Value::u32(0));
  return w.serialize();
}

size_t find_bytes(const std::vector<uint8_t>& bytes, const std::string& s) {
  auto it = std::search(bytes.begin(), bytes.end(), s.begin(), s.end(),
                        [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); });
  if (it == bytes.end()) throw std::runtime_error("'" + s + "' not in sample file");
  return static_cast<size_t>(it - bytes.begin());
}

}  // namespace hearth::gguf::test
