// The pack format: writing, finding the model inside, verifying, and refusing damaged files.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/mmap.h"
#include "gguf/gguf.h"
#include "pack/elf.h"
#include "pack/pack.h"
#include "support/shared_data.h"

namespace fs = std::filesystem;
using namespace hearth;

namespace {

std::string slurp(const fs::path& p) { return test::read_file(p); }

void write_bytes(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

// Overwrites one byte of `p` at `off` with its complement.
void flip_byte(const fs::path& p, uint64_t off) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(off));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(off));
  f.put(static_cast<char>(~c));
}

class PackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("hearth-pack-test");
    gguf::Writer w;
    w.set("general.architecture", gguf::Value::str("llama"));
    w.set("general.name", gguf::Value::str("tiny pack test"));
    std::vector<float> t(1000);
    for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>(i) * 0.5f;
    w.add_tensor("weights", tensor::Type::F32, {10, 100}, t.data(), t.size() * sizeof(float));
    model_ = dir_ / "tiny.gguf";
    w.write(model_.string());
    // Any ELF program will do as the runtime for format tests; the test binary is one.
    runtime_ = fs::read_symlink("/proc/self/exe");
    ::setenv("HEARTH_HOME", (dir_ / "home").c_str(), 1);
  }
  void TearDown() override { fs::remove_all(dir_); }

  pack::WriteResult make(const fs::path& out, std::vector<std::string> args = {}) {
    pack::WriteOptions o;
    o.model = model_.string();
    o.output = out.string();
    o.runtime = runtime_.string();
    o.args = std::move(args);
    o.hearth_version = "9.9.9";
    o.hearth_commit = "abc1234";
    return pack::write_pack(o);
  }

  fs::path dir_, model_, runtime_;
};

TEST(PackLayout, EncodeDecodeRoundTrip) {
  pack::Layout l;
  l.runtime_size = 12345;
  l.gguf_offset = 65536;
  l.gguf_size = 1000;
  l.manifest_offset = 66536;
  l.manifest_size = 200;
  l.total_size = 66536 + 200 + pack::kRecordSize;
  l.manifest_sha256[0] = 7;
  auto rec = pack::encode(l);
  pack::Layout back;
  EXPECT_EQ(pack::decode(rec.data(), back), "");
  EXPECT_EQ(back.runtime_size, l.runtime_size);
  EXPECT_EQ(back.gguf_offset, l.gguf_offset);
  EXPECT_EQ(back.total_size, l.total_size);
  EXPECT_EQ(back.manifest_sha256, l.manifest_sha256);
}

TEST(PackLayout, DecodeRejectsInconsistentRecords) {
  pack::Layout good;
  good.runtime_size = 100;
  good.gguf_offset = 65536;
  good.gguf_size = 50;
  good.manifest_offset = 65586;
  good.manifest_size = 10;
  good.total_size = 65596 + pack::kRecordSize;
  pack::Layout out;
  auto expect_bad = [&](pack::Layout l, const char* what) {
    auto rec = pack::encode(l);
    EXPECT_NE(pack::decode(rec.data(), out), "") << what;
  };
  pack::Layout l = good;
  l.gguf_offset = 4096 * 3;  // not 64 KiB-aligned
  expect_bad(l, "alignment");
  l = good;
  l.manifest_offset += 1;
  expect_bad(l, "gap between GGUF and manifest");
  l = good;
  l.total_size += 1;
  expect_bad(l, "total size");
  l = good;
  l.gguf_size = UINT64_MAX - 10;
  expect_bad(l, "overflowing size");
  l = good;
  l.manifest_size = pack::kMaxManifestSize + 1;
  expect_bad(l, "huge manifest");
  auto rec = pack::encode(good);
  rec[8] = 2;  // format version 2
  EXPECT_NE(pack::decode(rec.data(), out).find("version 2"), std::string::npos);
}

TEST_F(PackTest, ModelIsMappedInPlaceAtAnAlignedOffset) {
  const fs::path out = dir_ / "bot";
  auto r = make(out, {"--ctx-size", "256"});
  EXPECT_EQ(r.layout.gguf_offset % pack::kGgufAlignment, 0u);
  EXPECT_EQ(fs::file_size(out), r.layout.total_size);
  EXPECT_NE(fs::status(out).permissions() & fs::perms::owner_exec, fs::perms::none);

  const gguf::File orig = gguf::File::open(model_.string());
  const gguf::File in_pack = gguf::File::open(out.string());  // the ordinary entry point
  EXPECT_EQ(in_pack.get_string("general.name"), "tiny pack test");
  ASSERT_EQ(in_pack.tensors().size(), 1u);
  ASSERT_NE(in_pack.mapping(), nullptr);
  EXPECT_EQ(in_pack.mapping()->size(), fs::file_size(model_));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(in_pack.mapping()->data()) % 4096, 0u);
  EXPECT_EQ(std::memcmp(in_pack.mapping()->data(), orig.mapping()->data(), orig.mapping()->size()), 0);
}

TEST_F(PackTest, ManifestRecordsModelRuntimeAndArgs) {
  const fs::path out = dir_ / "bot";
  make(out, {"--ctx-size", "256"});
  auto p = pack::open_pack(out.string());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->manifest.name, "tiny pack test");
  EXPECT_EQ(p->manifest.model_file, "tiny.gguf");
  EXPECT_EQ(p->manifest.architecture, "llama");
  EXPECT_EQ(p->manifest.gguf_size, fs::file_size(model_));
  EXPECT_EQ(p->manifest.runtime_size, fs::file_size(runtime_));
  EXPECT_EQ(p->manifest.args, (std::vector<std::string>{"--ctx-size", "256"}));
  EXPECT_EQ(p->manifest.hearth_version, "9.9.9");
  EXPECT_EQ(p->manifest.gguf_sha256.size(), 64u);
  EXPECT_NO_THROW(pack::verify(*p));
}

TEST_F(PackTest, ExtractIsByteIdenticalAndDoesNotOverwrite) {
  const fs::path out = dir_ / "bot";
  make(out);
  auto p = pack::require_pack(out.string());
  const std::string path = pack::extract(p, (dir_ / "x").string());
  EXPECT_EQ(fs::path(path).filename(), "tiny.gguf");
  EXPECT_EQ(slurp(path), slurp(model_));
  try {
    pack::extract(p, (dir_ / "x").string());
    FAIL() << "overwrote an existing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos);
  }
}

TEST_F(PackTest, TamperedModelFailsVerifyNamingTheModel) {
  const fs::path out = dir_ / "bot";
  auto r = make(out);
  flip_byte(out, r.layout.gguf_offset + r.layout.gguf_size - 1);  // inside tensor data
  auto p = pack::require_pack(out.string());
  try {
    pack::verify(p);
    FAIL() << "tampered model passed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::format);
    EXPECT_NE(std::string(e.what()).find("model's sha256"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pack::extract(p, (dir_ / "x").string()), Error);
  EXPECT_FALSE(fs::exists(dir_ / "x" / "tiny.gguf"));
}

TEST_F(PackTest, TamperedProgramFailsVerifyNamingTheProgram) {
  const fs::path out = dir_ / "bot";
  make(out);
  flip_byte(out, 1000);
  auto p = pack::require_pack(out.string());
  try {
    pack::verify(p);
    FAIL() << "tampered program passed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("program's sha256"), std::string::npos) << e.what();
  }
}

TEST_F(PackTest, TamperedManifestOrTrailerIsRefusedOnOpen) {
  const fs::path out = dir_ / "bot";
  auto r = make(out);
  const fs::path copy = dir_ / "bot2";
  fs::copy_file(out, copy);
  flip_byte(out, r.layout.manifest_offset + 20);
  try {
    pack::open_pack(out.string());
    FAIL() << "tampered manifest passed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("manifest does not match"), std::string::npos) << e.what();
  }
  flip_byte(copy, r.layout.trailer_offset() + 24);  // the GGUF offset field
  try {
    pack::open_pack(copy.string());
    FAIL() << "tampered trailer passed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("damaged hearth pack"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gguf::File::open(copy.string()), Error);
}

TEST_F(PackTest, TruncatedPackIsRecognised) {
  const fs::path out = dir_ / "bot";
  auto r = make(out);
  for (uint64_t keep : {r.layout.total_size - 1, r.layout.gguf_offset + 100, r.layout.gguf_offset}) {
    fs::resize_file(out, keep);
    EXPECT_FALSE(pack::open_pack(out.string()).has_value());
    auto t = pack::truncated_pack(out.string());
    ASSERT_TRUE(t.has_value()) << keep;
    EXPECT_NE(t->find("truncated hearth pack"), std::string::npos);
    EXPECT_NE(t->find(std::to_string(r.layout.total_size)), std::string::npos);
    try {
      pack::require_pack(out.string());
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
    }
  }
}

TEST_F(PackTest, NonPacksAreExplained) {
  auto why = [](const fs::path& p) {
    try {
      pack::require_pack(p.string());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(why(model_).find("is a GGUF model, not a hearth pack"), std::string::npos);
  EXPECT_NE(why(runtime_).find("without an embedded model"), std::string::npos);
  write_bytes(dir_ / "text", "hello, this is not a program\n");
  EXPECT_NE(why(dir_ / "text").find("neither a program nor a GGUF"), std::string::npos);
  write_bytes(dir_ / "empty", "");
  EXPECT_NE(why(dir_ / "empty").find("not a hearth pack"), std::string::npos);
  EXPECT_FALSE(pack::truncated_pack(runtime_.string()).has_value());
}

TEST_F(PackTest, RepackingTakesTheInnerModelAndProgram) {
  const fs::path first = dir_ / "bot";
  auto r1 = make(first);
  pack::WriteOptions o;
  o.model = first.string();    // the model inside the first pack
  o.runtime = first.string();  // the program inside the first pack
  o.output = (dir_ / "bot-again").string();
  o.name = "renamed";
  auto r2 = pack::write_pack(o);
  EXPECT_EQ(r2.manifest.model_file, "tiny.gguf");
  EXPECT_EQ(r2.manifest.gguf_sha256, r1.manifest.gguf_sha256);
  EXPECT_EQ(r2.manifest.runtime_sha256, r1.manifest.runtime_sha256);
  EXPECT_EQ(r2.layout.total_size, r1.layout.total_size - r1.layout.manifest_size + r2.layout.manifest_size);
}

TEST_F(PackTest, RefusesBadInputs) {
  pack::WriteOptions o;
  o.model = model_.string();
  o.runtime = model_.string();  // not a program
  o.output = (dir_ / "bot").string();
  EXPECT_THROW(pack::write_pack(o), Error);
  EXPECT_FALSE(fs::exists(dir_ / "bot"));
  o.runtime = runtime_.string();
  o.model = runtime_.string();  // not a GGUF
  EXPECT_THROW(pack::write_pack(o), Error);
  o.model = (dir_ / "missing.gguf").string();
  try {
    pack::write_pack(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_found);
  }
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << "left a temporary file";
}

TEST_F(PackTest, VerifiedMemoFollowsTheFileVersion) {
  const fs::path out = dir_ / "bot";
  make(out);
  auto p = pack::require_pack(out.string());
  EXPECT_FALSE(pack::verified_before(p));
  pack::remember_verified(p);
  EXPECT_TRUE(pack::verified_before(p));
  // Rewriting the file (new mtime) invalidates the memo.
  fs::last_write_time(out, fs::last_write_time(out) + std::chrono::seconds(5));
  EXPECT_FALSE(pack::verified_before(p));
  // A copy is another file: verified on its own first start.
  fs::copy_file(out, dir_ / "copy");
  EXPECT_FALSE(pack::verified_before(pack::require_pack((dir_ / "copy").string())));
}

TEST(PackArgs, SplitsLikeAShell) {
  using V = std::vector<std::string>;
  EXPECT_EQ(pack::split_args("  --ctx-size 2048   --parallel 2 "), (V{"--ctx-size", "2048", "--parallel", "2"}));
  EXPECT_EQ(pack::split_args("--alias 'my bot' --x \"a \\\"b\\\"\" c\\ d"), (V{"--alias", "my bot", "--x", "a \"b\"", "c d"}));
  EXPECT_EQ(pack::split_args("''"), (V{""}));
  EXPECT_TRUE(pack::split_args("").empty());
  EXPECT_THROW(pack::split_args("--alias 'open"), Error);
}

TEST(PackElf, ReadsThisProgram) {
  auto e = pack::read_elf("/proc/self/exe");
  EXPECT_TRUE(e.is_elf);
  EXPECT_EQ(pack::machine_name(e.machine), "x86-64");
  EXPECT_EQ(e.extent, fs::file_size(fs::read_symlink("/proc/self/exe")));
  EXPECT_FALSE(pack::read_elf("/nonexistent").is_elf);
}

TEST(MappedFileRange, MapsAnUnalignedRange) {
  auto dir = test::make_temp_dir("hearth-mmap-range");
  std::string bytes(10000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  write_bytes(dir / "f", bytes);
  MappedFile m((dir / "f").string(), 4097, 5000);
  ASSERT_EQ(m.size(), 5000u);
  EXPECT_EQ(std::memcmp(m.data(), bytes.data() + 4097, 5000), 0);
  m.prefetch(10, 100);
  MappedFile moved = std::move(m);
  EXPECT_EQ(moved.data()[0], static_cast<uint8_t>(bytes[4097]));
  EXPECT_THROW(MappedFile((dir / "f").string(), 9000, 2000), Error);
  fs::remove_all(dir);
}

}  // namespace
