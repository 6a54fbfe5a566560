// Every .inp/.out pair in shared/vocab: token ids must equal llama.cpp's exactly.
#include <gtest/gtest.h>

#include <sstream>

#include "gguf/gguf.h"
#include "support/shared_data.h"
#include "tokenizer/tokenizer.h"

namespace hearth::tokenizer {
namespace {

const std::vector<std::string> kWithVectors = {
    "bert-bge", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2", "llama-spm", "mpt",
    "phi-3", "refact", "starcoder", "llama-bpe-rebuilt", "qwen2-rebuilt",
};
const std::vector<std::string> kLoadOnly = {"baichuan", "gpt-neox"};

std::vector<std::string> split_inputs(const std::string& all) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t hit; (hit = all.find(sep, pos)) != std::string::npos; pos = hit + sep.size())
    out.push_back(all.substr(pos, hit - pos));
  if (pos < all.size()) out.push_back(all.substr(pos));
  return out;
}

std::vector<std::vector<int32_t>> parse_outputs(const std::string& all) {
  std::vector<std::vector<int32_t>> out;
  std::istringstream lines(all);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ids(line);
    std::vector<int32_t> v;
    for (int64_t id; ids >> id;) v.push_back(static_cast<int32_t>(id));
    out.push_back(std::move(v));
  }
  return out;
}

std::string show(const std::vector<int32_t>& v) {
  std::string s;
  for (int32_t id : v) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

class VocabVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabVectors, Passes) {
  HEARTH_REQUIRE_SHARED();
  std::string base = test::shared_path("vocab/ggml-vocab-" + GetParam() + ".gguf").string();
  auto file = gguf::File::open(base);
  auto tok = Tokenizer::from_gguf(file);
  auto inputs = split_inputs(test::read_file(base + ".inp"));
  auto expected = parse_outputs(test::read_file(base + ".out"));
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GT(inputs.size(), 10u);
  size_t total = 0;
  for (const auto& e : expected) total += e.size();
  ASSERT_GT(total, inputs.size());  // the file really holds ids
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto got = tok->encode(inputs[i], /*add_special=*/false, /*parse_special=*/false);
    EXPECT_EQ(show(got), show(expected[i])) << "input #" << i << ": '" << inputs[i] << "'";
  }
}

std::string vector_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Vocab, VocabVectors, ::testing::ValuesIn(kWithVectors), vector_name);

// Every vocabulary except WordPiece (which lowercases and strips accents) is lossless.
class VocabRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabRoundTrip, DecodeOfEncodeIsIdentity) {
  HEARTH_REQUIRE_SHARED();
  std::string base = test::shared_path("vocab/ggml-vocab-" + GetParam() + ".gguf").string();
  auto file = gguf::File::open(base);
  auto tok = Tokenizer::from_gguf(file);
  for (const std::string& text : split_inputs(test::read_file(base + ".inp"))) {
    EXPECT_EQ(tok->decode(tok->encode(text, false, false)), text);
    EXPECT_EQ(tok->decode(tok->encode(text, true, false)), text);
  }
}

std::vector<std::string> lossless() {
  std::vector<std::string> v;
  for (const auto& n : kWithVectors)
    if (n != "bert-bge") v.push_back(n);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Vocab, VocabRoundTrip, ::testing::ValuesIn(lossless()), vector_name);

class VocabLoads : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabLoads, LoadsAndRoundTrips) {
  HEARTH_REQUIRE_SHARED();
  auto file = gguf::File::open(
      test::shared_path("vocab/ggml-vocab-" + GetParam() + ".gguf").string());
  auto tok = Tokenizer::from_gguf(file);
  EXPECT_GT(tok->n_vocab(), 1000u);
  auto ids = tok->encode("Hello world, this is a test.", false, false);
  EXPECT_FALSE(ids.empty());
  EXPECT_EQ(tok->decode(ids), "Hello world, this is a test.");
}

INSTANTIATE_TEST_SUITE_P(Vocab, VocabLoads, ::testing::ValuesIn(kLoadOnly), vector_name);

}  // namespace
}  // namespace hearth::tokenizer
