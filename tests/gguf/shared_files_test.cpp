// Every GGUF in ../shared parses, and rewriting it from the parsed content gives the same bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "gguf/gguf.h"
#include "support/shared_data.h"

using namespace hearth;
using namespace hearth::gguf;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> gguf_files(const std::string& folder) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(hearth::test::shared_path(folder)))
    if (e.path().extension() == ".gguf") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> rewrite(const File& f) {
  Writer w;
  for (const auto& [k, v] : f.metadata()) w.set(k, v);
  for (const auto& t : f.tensors()) w.add_tensor(t.name, t.type, t.dims, t.data, t.nbytes);
  return w.serialize();
}

void expect_identical_rewrite(const fs::path& p) {
  File f = File::open(p.string());
  std::vector<uint8_t> out = rewrite(f);
  const MappedFile& m = *f.mapping();
  if (f.tensors().empty() && m.size() < out.size()) {
    // gguf-py writes vocab-only files without the final padding that llama.cpp (and we) put
    // before the (here empty) data section; everything before it must still match.
    ASSERT_LT(out.size() - m.size(), f.alignment()) << p;
    EXPECT_TRUE(std::all_of(out.begin() + m.size(), out.end(), [](uint8_t b) { return b == 0; }));
    out.resize(m.size());
  }
  ASSERT_EQ(out.size(), m.size()) << p;
  // Report the first differing byte rather than dumping megabytes.
  auto mis = std::mismatch(out.begin(), out.end(), m.data());
  EXPECT_TRUE(mis.first == out.end()) << p << ": first difference at byte " << (mis.first - out.begin());
}

}  // namespace

TEST(GgufShared, Stories260KMetadataAndTensors) {
  HEARTH_REQUIRE_SHARED();
  File f = File::open(hearth::test::shared_path("models/stories260K.gguf").string());
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.architecture(), "llama");
  EXPECT_EQ(f.get_int("llama.block_count", 0), 5);
  EXPECT_EQ(f.get_int("llama.embedding_length", 0), 64);
  EXPECT_EQ(f.get_strings("tokenizer.ggml.tokens").size(), 512u);
  EXPECT_EQ(f.get_floats("tokenizer.ggml.scores").size(), 512u);
  EXPECT_EQ(f.get_ints("tokenizer.ggml.token_type").size(), 512u);
  EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "llama");
  // token_embd + output_norm + output + 9 per block (norms, q, k, v, o, gate, up, down).
  EXPECT_EQ(f.tensors().size(), 3u + 5u * 9u);
  const TensorInfo& emb = f.require_tensor("token_embd.weight");
  EXPECT_EQ(emb.dims, (std::vector<int64_t>{64, 512}));
  EXPECT_EQ(emb.rows(), 512);
  EXPECT_EQ(emb.n_elements(), 64 * 512);
  ASSERT_NE(emb.data, nullptr);
  EXPECT_GE(emb.data, f.mapping()->data() + f.data_offset());
  EXPECT_EQ((emb.data - f.mapping()->data()) % f.alignment(), 0);
  EXPECT_EQ(f.find_tensor("no.such.tensor"), nullptr);
  EXPECT_THROW(f.require_tensor("no.such.tensor"), Error);
  EXPECT_THROW(f.require("no.such.key"), Error);
  EXPECT_EQ(f.get_int("no.such.key", 7), 7);
  // Present with the wrong type is an error, not the default.
  EXPECT_THROW(f.get_int("general.architecture", 0), Error);
}

TEST(GgufShared, EveryModelParsesAndRewritesByteIdentical) {
  HEARTH_REQUIRE_SHARED();
  auto files = gguf_files("models");
  ASSERT_FALSE(files.empty());
  for (const auto& p : files) {
    SCOPED_TRACE(p.string());
    File f = File::open(p.string());
    EXPECT_FALSE(f.architecture().empty());
    EXPECT_FALSE(f.tensors().empty());
    expect_identical_rewrite(p);
  }
}

TEST(GgufShared, EveryVocabParsesAndRewritesByteIdentical) {
  HEARTH_REQUIRE_SHARED();
  auto files = gguf_files("vocab");
  ASSERT_FALSE(files.empty());
  for (const auto& p : files) {
    SCOPED_TRACE(p.string());
    File f = File::open(p.string());
    EXPECT_FALSE(f.get_strings("tokenizer.ggml.tokens").empty());
    expect_identical_rewrite(p);
  }
}
