// `hearth tokenize` end to end: the binary's output must equal the library's ids.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/json.h"
#include "gguf/gguf.h"
#include "support/shared_data.h"
#include "tokenizer/tokenizer.h"

namespace hearth::tokenizer {
namespace {

struct Cli {
  int status;
  std::string out, err;
};

Cli tokenize_cli(const std::string& model, const std::string& input, const std::string& flags) {
  auto dir = test::make_temp_dir("hearth-tok");
  auto in = dir / "in.txt";
  std::ofstream(in, std::ios::binary) << input;
  Cli r;
  std::string cmd = "'" + test::hearth_bin() + "' tokenize " + (model.empty() ? "" : "-m '" + model + "' ") +
                    flags + " < '" + in.string() + "'";
  r.status = test::run_command(cmd, &r.out, &r.err);
  std::filesystem::remove_all(dir);
  return r;
}

std::vector<int32_t> parse_ids(const std::string& line) {
  std::istringstream ss(line);
  std::vector<int32_t> v;
  for (int32_t id; ss >> id;) v.push_back(id);
  return v;
}

TEST(TokenizeCli, SpmModelAddsBosByDefault) {
  HEARTH_REQUIRE_SHARED();
  std::string model = test::shared_path("models/stories260K.gguf").string();
  auto file = gguf::File::open(model);
  auto tok = Tokenizer::from_gguf(file);
  const std::string text = "Once upon a time, there was a little dog.";

  Cli r = tokenize_cli(model, text, "");
  ASSERT_EQ(r.status, 0) << r.err;
  auto ids = parse_ids(r.out);
  EXPECT_EQ(ids, tok->encode(text, true, false));
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], tok->bos());
  EXPECT_EQ(tok->decode(ids), text);

  Cli bare = tokenize_cli(model, text, "--no-special");
  ASSERT_EQ(bare.status, 0) << bare.err;
  EXPECT_EQ(parse_ids(bare.out), tok->encode(text, false, false));

  Cli js = tokenize_cli(model, text, "--json --show-pieces");
  ASSERT_EQ(js.status, 0) << js.err;
  json j = json::parse(js.out);
  EXPECT_EQ(j["tokens"].get<std::vector<int32_t>>(), ids);
  ASSERT_EQ(j["pieces"].size(), ids.size());
  EXPECT_EQ(j["pieces"][0].get<std::string>(), "<s>");
}

TEST(TokenizeCli, BpeSpecialTokensOnlyWithParseSpecial) {
  HEARTH_REQUIRE_SHARED();
  std::string model = test::shared_path("vocab/ggml-vocab-qwen2-rebuilt.gguf").string();
  auto file = gguf::File::open(model);
  auto tok = Tokenizer::from_gguf(file);
  const std::string text = "Hello<|im_end|>";
  int32_t im_end = tok->find_token("<|im_end|>");
  ASSERT_GE(im_end, 0);

  Cli plain = tokenize_cli(model, text, "--json");
  ASSERT_EQ(plain.status, 0) << plain.err;
  auto plain_ids = json::parse(plain.out)["tokens"].get<std::vector<int32_t>>();
  EXPECT_EQ(plain_ids, tok->encode(text, true, false));
  EXPECT_EQ(std::count(plain_ids.begin(), plain_ids.end(), im_end), 0);

  Cli parsed = tokenize_cli(model, text, "--json --parse-special");
  ASSERT_EQ(parsed.status, 0) << parsed.err;
  auto ids = json::parse(parsed.out)["tokens"].get<std::vector<int32_t>>();
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.back(), im_end);
}

TEST(TokenizeCli, BadArgumentsAndFiles) {
  Cli no_model = tokenize_cli("", "x", "");
  EXPECT_EQ(no_model.status, 2);
  Cli missing = tokenize_cli("/nonexistent/model.gguf", "x", "");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("/nonexistent/model.gguf"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace hearth::tokenizer
