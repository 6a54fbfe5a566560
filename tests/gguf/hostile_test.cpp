// Hostile-input properties beyond single-field corruption: every truncation fails cleanly, huge
// counts fail before any large allocation, nesting is bounded, and round trips are exact.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "core/error.h"
#include "gguf/gguf.h"
#include "gguf/limits.h"
#include "sample.h"

using namespace hearth;
using namespace hearth::gguf;
using namespace hearth::gguf::test;

// Largest single allocation made through operator new while tracking is on.
static std::atomic<bool> g_track{false};
static std::atomic<size_t> g_largest{0};

void* operator new(size_t n) {
  if (g_track.load(std::memory_order_relaxed)) {
    size_t prev = g_largest.load();
    while (n > prev && !g_largest.compare_exchange_weak(prev, n)) {}
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using Bytes = std::vector<uint8_t>;

std::string parse_error(const Bytes& b) {
  try {
    File::parse(b.data(), b.size(), "t.gguf");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Header with the given counts followed by one key/value pair whose value is an array header.
Bytes array_header_file(uint32_t elem_type, uint64_t length, size_t trailing_bytes) {
  Bytes b = {'G', 'G', 'U', 'F'};
  b.resize(24);
  poke<uint32_t>(b, 4, 3);
  poke<uint64_t>(b, 8, 0);
  poke<uint64_t>(b, 16, 1);
  const std::string key = "x.arr";
  b.resize(b.size() + 8);
  poke<uint64_t>(b, b.size() - 8, key.size());
  b.insert(b.end(), key.begin(), key.end());
  b.resize(b.size() + 4 + 4 + 8);
  poke<uint32_t>(b, b.size() - 16, static_cast<uint32_t>(ValueType::ARRAY));
  poke<uint32_t>(b, b.size() - 12, elem_type);
  poke<uint64_t>(b, b.size() - 8, length);
  b.resize(b.size() + trailing_bytes, 0);
  return b;
}

}  // namespace

TEST(GgufHostile, EveryTruncationFailsCleanly) {
  const Bytes full = sample_gguf();
  ASSERT_EQ(parse_error(full), "");
  // Each prefix is copied into its own exact-size buffer so ASan sees any read past its end.
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes prefix(full.begin(), full.begin() + n);
    try {
      File::parse(prefix.data(), prefix.size(), "t.gguf");
      ADD_FAILURE() << "prefix of " << n << " bytes was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::format) << e.what();
      EXPECT_NE(std::string(e.what()).find(" at byte "), std::string::npos) << e.what();
    }
  }
}

TEST(GgufHostile, TruncatedHeaderSaysTruncated) {
  Bytes full = sample_gguf();
  Bytes head(full.begin(), full.begin() + 10);
  EXPECT_EQ(parse_error(head), "t.gguf: tensor count at byte 8: file truncated (needs 8 bytes, 2 left)");
  EXPECT_EQ(parse_error({}), "t.gguf: magic at byte 0: file truncated (needs 4 bytes, 0 left)");
}

TEST(GgufHostile, HugeCountsFailWithoutLargeAllocations) {
  struct Try {
    const char* what;
    Bytes file;
  };
  std::vector<Try> tries;
  tries.push_back({"u8 array 2^62", array_header_file(0, uint64_t{1} << 62, 64)});
  tries.push_back({"string array 2^62", array_header_file(8, uint64_t{1} << 62, 64)});
  tries.push_back({"array of arrays 2^60", array_header_file(9, uint64_t{1} << 60, 64)});
  tries.push_back({"u64 array max", array_header_file(10, ~uint64_t{0}, 64)});
  Bytes kv = array_header_file(0, 1, 1);
  poke<uint64_t>(kv, 16, uint64_t{1} << 62);
  tries.push_back({"kv count 2^62", kv});
  Bytes tc = array_header_file(0, 1, 1);
  poke<uint64_t>(tc, 8, uint64_t{1} << 62);
  tries.push_back({"tensor count 2^62", tc});
  Bytes sl = array_header_file(0, 1, 1);
  poke<uint64_t>(sl, 24, uint64_t{1} << 62);
  tries.push_back({"key length 2^62", sl});

  for (const auto& t : tries) {
    g_largest = 0;
    g_track = true;
    std::string err = parse_error(t.file);
    g_track = false;
    EXPECT_NE(err, "") << t.what;
    // Nothing close to the claimed size: a few KiB covers the error message and bookkeeping.
    EXPECT_LT(g_largest.load(), size_t{1} << 16) << t.what << ": " << err;
  }
}

TEST(GgufHostile, MetadataValueCapBoundsMemory) {
  // A file really holding more array items than the cap: 1-byte items are cheap on disk but
  // expensive decoded, so the reader refuses rather than allocating ~50x the file size.
  const uint64_t n = kMaxMetadataValues + 1;
  Bytes b = array_header_file(0, n, static_cast<size_t>(n));
  std::string err = parse_error(b);
  EXPECT_NE(err.find("x.arr') array length at byte 45"), std::string::npos) << err;
  EXPECT_NE(err.find("more than"), std::string::npos) << err;
}

TEST(GgufHostile, ArrayNestingIsBounded) {
  auto nested = [](int levels) {
    Value v = Value::array(ValueType::INT32, {Value::i32(1)});
    for (int i = 1; i < levels; ++i) v = Value::array(ValueType::ARRAY, {v});
    Writer w;
    w.set("deep", v);
    return w.serialize();
  };
  Bytes ok = nested(kMaxArrayDepth);
  File f = File::parse(ok.data(), ok.size(), "t.gguf");
  const Value* v = &f.require("deep");
  for (int i = 1; i < kMaxArrayDepth; ++i) v = &v->as_array().items.at(0);
  EXPECT_EQ(v->as_array().items.at(0).as_int(), 1);

  Bytes deep = nested(kMaxArrayDepth + 1);
  std::string err = parse_error(deep);
  EXPECT_NE(err.find("('deep') item 0.0.0.0.0.0.0.0 array"), std::string::npos) << err;
  EXPECT_NE(err.find("nested deeper than 8"), std::string::npos) << err;
}

TEST(GgufHostile, EmptyKeyIsRejected) {
  Writer w;
  w.set("", Value::u32(1));
  Bytes b = w.serialize();
  EXPECT_EQ(parse_error(b), "t.gguf: kv 0 key at byte 24: empty key");
}

TEST(GgufWriter, RoundTripIsByteIdenticalAndKeepsTypes) {
  const Bytes a = sample_gguf();
  File f = File::parse(a.data(), a.size(), "sample.gguf");
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_offset() % 32, 0u);
  EXPECT_EQ(f.require("test.u8").type, ValueType::UINT8);
  EXPECT_EQ(f.get_int("test.u8", 0), 200);
  EXPECT_EQ(f.get_int("test.i8", 0), -100);
  EXPECT_EQ(f.get_int("test.u16", 0), 60000);
  EXPECT_EQ(f.get_int("test.i16", 0), -30000);
  EXPECT_EQ(f.get_int("test.i32", 0), -7);
  EXPECT_EQ(f.get_int("test.u64", 0), int64_t{1} << 40);
  EXPECT_EQ(f.get_int("test.i64", 0), -5);
  EXPECT_DOUBLE_EQ(f.get_float("test.f64", 0), 0.25);
  EXPECT_FLOAT_EQ(static_cast<float>(f.get_float("llama.rope.freq_base", 0)), 10000.0f);
  EXPECT_TRUE(f.get_bool("test.flag", false));
  EXPECT_EQ(f.get_string("general.name"), "tiny test");
  EXPECT_EQ(f.get_strings("tokenizer.ggml.tokens"),
            (std::vector<std::string>{"<s>", "</s>", "h\xC3\xA9llo"}));
  EXPECT_THROW(f.get_strings("test.nested"), Error);
  EXPECT_THROW(f.get_bool("test.u8", false), Error);
  EXPECT_THROW(f.require("test.i8").as_uint(), Error);
  const auto& nested = f.require("test.nested").as_array();
  ASSERT_EQ(nested.items.size(), 2u);
  EXPECT_EQ(nested.items[0].as_array().items[1].as_int(), 2);

  ASSERT_EQ(f.tensors().size(), 4u);
  const TensorInfo& q = f.require_tensor("blk.0.attn_q.weight");
  EXPECT_EQ(q.type, tensor::Type::Q8_0);
  EXPECT_EQ(q.nbytes, 68u);
  EXPECT_EQ(q.data, a.data() + f.data_offset() + q.offset);
  EXPECT_EQ(q.data[1], 7);

  Writer w;
  for (const auto& [k, v] : f.metadata()) w.set(k, v);
  for (const auto& t : f.tensors()) w.add_tensor(t.name, t.type, t.dims, t.data, t.nbytes);
  EXPECT_EQ(w.serialize(), a);
}

TEST(GgufWriter, SetReplacesInPlaceAndWriteProducesAReadableFile) {
  Writer w;
  w.set("a", Value::u32(1));
  w.set("b", Value::u32(2));
  w.set("a", Value::str("x"));
  float data[32] = {};
  w.add_tensor("t", tensor::Type::F32, {32}, data, sizeof data);
  EXPECT_THROW(w.add_tensor("t", tensor::Type::F32, {32}, data, sizeof data), Error);
  EXPECT_THROW(w.add_tensor("u", tensor::Type::F32, {31}, data, sizeof data), Error);
  EXPECT_THROW(w.add_tensor("v", tensor::Type::Q4_0, {16}, data, 9), Error);
  const std::string path = ::testing::TempDir() + "/writer_test.gguf";
  w.write(path);
  File f = File::open(path);
  ASSERT_EQ(f.metadata().size(), 2u);
  EXPECT_EQ(f.metadata()[0].first, "a");
  EXPECT_EQ(f.get_string("a"), "x");
  EXPECT_EQ(f.require_tensor("t").nbytes, sizeof data);
  EXPECT_THROW(w.write("/nonexistent-dir/x.gguf"), Error);
}

TEST(GgufFile, OpenErrors) {
  try {
    File::open("/nonexistent/model.gguf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_found);
  }
  const std::string path = ::testing::TempDir() + "/not_gguf.txt";
  FILE* fp = std::fopen(path.c_str(), "wb");
  std::fputs("hello world", fp);
  std::fclose(fp);
  try {
    File::open(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": magic at byte 0: not a GGUF file (starts with 'hell', expected 'GGUF')");
  }
}

TEST(GgufFile, OpenAtReadsAnEmbeddedModel) {
  const Bytes model = sample_gguf();
  Bytes blob(100, 0xAB);
  blob.insert(blob.end(), model.begin(), model.end());
  blob.resize(blob.size() + 50, 0xCD);
  const std::string path = ::testing::TempDir() + "/embedded.bin";
  FILE* fp = std::fopen(path.c_str(), "wb");
  std::fwrite(blob.data(), 1, blob.size(), fp);
  std::fclose(fp);
  File f = File::open_at(path, 100, model.size());
  EXPECT_EQ(f.architecture(), "llama");
  EXPECT_EQ(f.require_tensor("blk.0.attn_q.weight").data[1], 7);
  EXPECT_THROW(File::open_at(path, 100, blob.size()), Error);
  EXPECT_THROW(File::open_at(path, ~uint64_t{0}, 2), Error);
}
