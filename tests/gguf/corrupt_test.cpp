// A table of deliberately broken files, each made by patching a few bytes of a valid sample:
// every one must be rejected with the right error code, and the message must name the field and
// the byte offset where the problem is.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "gguf/gguf.h"
#include "gguf/limits.h"
#include "sample.h"

using namespace hearth;
using namespace hearth::gguf;
using namespace hearth::gguf::test;

namespace {

using Bytes = std::vector<uint8_t>;

// Offsets of a key/value pair's fields in the sample.
struct KvAt {
  size_t len, key, type, value;
};
KvAt kv_at(const Bytes& b, const std::string& key) {
  const size_t k = find_bytes(b, key);
  return {k - 8, k, k + key.size(), k + key.size() + 4};
}

// Offsets of a tensor info's fields in the sample.
struct TensorAt {
  size_t len, name, n_dims, dims, type, offset;
};
TensorAt tensor_at(const Bytes& b, const std::string& name, uint32_t n_dims) {
  const size_t n = find_bytes(b, name);
  const size_t nd = n + name.size();
  return {n - 8, n, nd, nd + 4, nd + 4 + 8 * n_dims, nd + 4 + 8 * n_dims + 4};
}

struct Case {
  std::string name;
  // Patches the sample and returns the byte offset the error must report.
  std::function<size_t(Bytes&)> corrupt;
  Errc code;
  std::vector<std::string> mentions;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"BadMagic", [](Bytes& b) { b[0] = 'X'; return size_t{0}; }, Errc::format, {"magic", "not a GGUF"}},
      {"Version1", [](Bytes& b) { poke<uint32_t>(b, 4, 1); return size_t{4}; }, Errc::unsupported,
       {"version", "unsupported GGUF version 1"}},
      {"Version4", [](Bytes& b) { poke<uint32_t>(b, 4, 4); return size_t{4}; }, Errc::unsupported,
       {"version", "version 4"}},
      {"BigEndian", [](Bytes& b) { poke<uint32_t>(b, 4, 0x03000000u); return size_t{4}; },
       Errc::unsupported, {"version", "big-endian"}},
      {"HugeTensorCount", [](Bytes& b) { poke<uint64_t>(b, 8, uint64_t{1} << 40); return size_t{8}; },
       Errc::format, {"tensor count", "cannot fit"}},
      {"HugeKvCount", [](Bytes& b) { poke<uint64_t>(b, 16, uint64_t{1} << 62); return size_t{16}; },
       Errc::format, {"kv count", "cannot fit"}},
      {"HugeKeyLength",
       [](Bytes& b) { auto a = kv_at(b, "general.name"); poke<uint64_t>(b, a.len, ~uint64_t{0}); return a.len; },
       Errc::format, {"kv 1 key", "string length 18446744073709551615 exceeds"}},
      {"KeyNotUtf8",
       [](Bytes& b) { auto a = kv_at(b, "general.name"); b[a.key + 3] = 0xFF; return a.key + 3; },
       Errc::format, {"kv 1 key", "invalid UTF-8"}},
      {"StringValueNotUtf8",
       [](Bytes& b) { auto a = kv_at(b, "general.name"); b[a.value + 8 + 1] = 0xC0; return a.value + 9; },
       Errc::format, {"kv 1 ('general.name') string", "invalid UTF-8"}},
      {"ArrayStringNotUtf8",
       [](Bytes& b) { size_t at = find_bytes(b, "h\xC3\xA9llo") + 2; b[at] = 'x'; return at - 1; },
       Errc::format, {"('tokenizer.ggml.tokens') item 2 string", "invalid UTF-8"}},
      {"DuplicateKey",
       [](Bytes& b) { auto dup = kv_at(b, "test.i16"); b[kv_at(b, "test.u16").key + 5] = 'i'; return dup.len; },
       Errc::format, {"kv 9 ('test.i16') key", "duplicate key 'test.i16'"}},
      {"UnknownValueType",
       [](Bytes& b) { auto a = kv_at(b, "test.flag"); poke<uint32_t>(b, a.type, 13); return a.type; },
       Errc::format, {"kv 5 ('test.flag') value type", "unknown value type 13"}},
      {"BoolNotZeroOrOne",
       [](Bytes& b) { auto a = kv_at(b, "test.flag"); b[a.value] = 2; return a.value; },
       Errc::format, {"('test.flag') value", "bool value 2"}},
      {"HugeArrayLength",
       [](Bytes& b) { auto a = kv_at(b, "tokenizer.ggml.tokens"); poke<uint64_t>(b, a.value + 4, uint64_t{1} << 62); return a.value + 4; },
       Errc::format, {"('tokenizer.ggml.tokens') array length", "needs at least"}},
      {"HugeNestedArrayLength",
       [](Bytes& b) { auto a = kv_at(b, "test.nested"); size_t inner = a.value + 12; poke<uint64_t>(b, inner + 4, uint64_t{1} << 61); return inner + 4; },
       Errc::format, {"('test.nested') item 0 array length"}},
      {"UnknownArrayElementType",
       [](Bytes& b) { auto a = kv_at(b, "tokenizer.ggml.tokens"); poke<uint32_t>(b, a.value, 99); return a.value; },
       Errc::format, {"array element type", "unknown value type 99"}},
      {"AlignmentNotPowerOfTwo",
       [](Bytes& b) { auto a = kv_at(b, "general.alignment"); poke<uint32_t>(b, a.value, 24); return size_t(-1); },
       Errc::format, {"general.alignment", "24 is not a power of two"}},
      {"AlignmentZero",
       [](Bytes& b) { auto a = kv_at(b, "general.alignment"); poke<uint32_t>(b, a.value, 0); return size_t(-1); },
       Errc::format, {"general.alignment", "not a power of two"}},
      {"AlignmentWrongType",
       [](Bytes& b) { auto a = kv_at(b, "general.alignment"); poke<uint32_t>(b, a.type, 5); return size_t(-1); },
       Errc::format, {"general.alignment", "must be uint32, not int32"}},
      {"TensorNameNotUtf8",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_q.weight", 2); b[t.name] = 0x80; return t.name; },
       Errc::format, {"tensor 1 name", "invalid UTF-8"}},
      {"DuplicateTensorName",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_k.weight", 1); b[t.name + 11] = 'q'; return t.len; },
       Errc::format, {"tensor 2 ('blk.0.attn_q.weight') name", "duplicate tensor name 'blk.0.attn_q.weight'"}},
      {"TooManyDims",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_q.weight", 2); poke<uint32_t>(b, t.n_dims, 5); return t.n_dims; },
       Errc::format, {"tensor 1 ('blk.0.attn_q.weight') n_dims", "5 dimensions"}},
      {"ZeroDims",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_q.weight", 2); poke<uint32_t>(b, t.n_dims, 0); return t.n_dims; },
       Errc::format, {"n_dims", "0 dimensions"}},
      {"ZeroDim",
       [](Bytes& b) { auto t = tensor_at(b, "token_embd.weight", 2); poke<uint64_t>(b, t.dims + 8, 0); return t.dims; },
       Errc::format, {"tensor 0 ('token_embd.weight') dims", "dimension 1 is zero"}},
      {"NegativeDim",
       [](Bytes& b) { auto t = tensor_at(b, "token_embd.weight", 2); poke<uint64_t>(b, t.dims, uint64_t{1} << 63); return t.dims; },
       Errc::format, {"dims", "negative"}},
      {"ElementCountOverflow",
       [](Bytes& b) { auto t = tensor_at(b, "token_embd.weight", 2); poke<uint64_t>(b, t.dims, uint64_t{1} << 32); poke<uint64_t>(b, t.dims + 8, uint64_t{1} << 32); return t.dims; },
       Errc::format, {"dims", "element count overflows"}},
      {"RowNotMultipleOfBlock",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_q.weight", 2); poke<uint64_t>(b, t.dims, 16); return t.dims; },
       Errc::format, {"tensor 1 ('blk.0.attn_q.weight') dims", "not a multiple of the q8_0 block size 32"}},
      {"UnknownTensorTypeSmall",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_q.weight", 2); poke<uint32_t>(b, t.type, 31); return t.type; },
       Errc::unsupported, {"tensor 1 ('blk.0.attn_q.weight') type", "unknown tensor type id 31"}},
      {"UnknownTensorTypeHuge",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_q.weight", 2); poke<uint32_t>(b, t.type, 0xdeadbeef); return t.type; },
       Errc::format, {"type", "unknown tensor type id"}},
      {"OffsetNotAligned",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_q.weight", 2); poke<uint64_t>(b, t.offset, 33); return t.offset; },
       Errc::format, {"tensor 1 ('blk.0.attn_q.weight') offset", "not a multiple of the alignment 32"}},
      {"DataPastEnd",
       [](Bytes& b) { auto t = tensor_at(b, "output_norm.weight", 1); poke<uint64_t>(b, t.offset, 4096); return t.offset; },
       Errc::format, {"tensor 3 ('output_norm.weight') offset", "past the end of the file"}},
      {"DataOffsetWraps",
       [](Bytes& b) { auto t = tensor_at(b, "output_norm.weight", 1); poke<uint64_t>(b, t.offset, ~uint64_t{31}); return t.offset; },
       Errc::format, {"offset", "past the end of the file"}},
      {"OverlappingTensors",
       [](Bytes& b) { auto t = tensor_at(b, "blk.0.attn_k.weight", 1); poke<uint64_t>(b, t.offset, 32); return t.offset; },
       Errc::format, {"offset", "overlaps tensor"}},
  };
  return all;
}

class Corrupt : public ::testing::TestWithParam<Case> {};

TEST_P(Corrupt, IsRejectedNamingFieldAndOffset) {
  const Case& c = GetParam();
  Bytes b = sample_gguf();
  const size_t at = c.corrupt(b);
  try {
    File::parse(b.data(), b.size(), "sample.gguf");
    FAIL() << c.name << ": corrupted file was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.code(), c.code) << msg;
    EXPECT_EQ(msg.rfind("sample.gguf: ", 0), 0u) << msg;
    for (const auto& m : c.mentions) EXPECT_NE(msg.find(m), std::string::npos) << "'" << m << "' not in: " << msg;
    if (at != size_t(-1))
      EXPECT_NE(msg.find("at byte " + std::to_string(at) + ":"), std::string::npos)
          << "expected byte " << at << " in: " << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Gguf, Corrupt, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// `hearth inspect`'s mode: a type id from a newer llama.cpp is listed, the rest of the file read.
TEST(UnknownTypes, ListedWhenAllowedWithEverythingElse) {
  Bytes b = sample_gguf();
  const File strict = File::parse(b.data(), b.size(), "sample.gguf");
  auto t = tensor_at(b, "blk.0.attn_q.weight", 2);
  poke<uint32_t>(b, t.type, 41);
  EXPECT_THROW(File::parse(b.data(), b.size(), "sample.gguf"), Error);
  const File f = File::parse(b.data(), b.size(), "sample.gguf", {.allow_unknown_types = true});
  ASSERT_EQ(f.tensors().size(), strict.tensors().size());
  for (size_t i = 0; i < f.tensors().size(); ++i) {
    const TensorInfo& got = f.tensors()[i];
    const TensorInfo& want = strict.tensors()[i];
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.dims, want.dims);
    EXPECT_EQ(got.offset, want.offset);
    if (got.name == "blk.0.attn_q.weight") {
      EXPECT_FALSE(got.known_type);
      EXPECT_EQ(got.type_id, 41u);
      EXPECT_EQ(got.nbytes, 0u);
      EXPECT_EQ(got.data, nullptr);
    } else {
      EXPECT_TRUE(got.known_type);
      EXPECT_EQ(got.type, want.type);
      EXPECT_EQ(got.nbytes, want.nbytes);
    }
  }
  EXPECT_EQ(f.metadata().size(), strict.metadata().size());
  // An id far outside ggml's range is corruption, not a newer type.
  poke<uint32_t>(b, t.type, 0xdeadbeef);
  EXPECT_THROW(File::parse(b.data(), b.size(), "sample.gguf", {.allow_unknown_types = true}), Error);
}

}  // namespace
