#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/error.h"
#include "core/mmap.h"
#include "core/paths.h"
#include "core/utf8.h"
#include "support/shared_data.h"

using namespace hearth;

TEST(Utf8, AcceptsValidAndFindsFirstInvalidByte) {
  EXPECT_TRUE(utf8::valid("héllo — 日本 🙂"));
  EXPECT_EQ(utf8::find_invalid(std::string("ab\xC3", 3)), 2u);         // truncated sequence
  EXPECT_EQ(utf8::find_invalid(std::string("a\xC0\xAF", 3)), 1u);      // overlong '/'
  EXPECT_EQ(utf8::find_invalid(std::string("\xED\xA0\x80", 3)), 0u);   // surrogate
  EXPECT_EQ(utf8::find_invalid(std::string("\xF4\x90\x80\x80", 4)), 0u);  // > U+10FFFF
}

TEST(Utf8, DecodeAppendRoundTrip) {
  std::string s = "a\u00e9\u65e5\U0001F642";
  size_t pos = 0;
  std::string back;
  while (pos < s.size()) utf8::append(back, utf8::decode(s, pos));
  EXPECT_EQ(back, s);
  EXPECT_EQ(utf8::sanitize(std::string("x\xFFy", 3)), "x\uFFFDy");
}

TEST(MappedFile, MapsContentsAndReportsMissingFile) {
  auto dir = test::make_temp_dir("hearth-core");
  auto path = dir / "f.bin";
  std::ofstream(path, std::ios::binary) << "hello";
  MappedFile m(path.string());
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.data()), m.size()), "hello");
  try {
    MappedFile missing((dir / "nope").string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_found);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST(Paths, HearthHomeFollowsEnvironment) {
  auto dir = test::make_temp_dir("hearth-home");
  {
    test::ScopedEnv home("HEARTH_HOME", dir.string());
    EXPECT_EQ(hearth_home(), dir);
    auto models = hearth_dir("models");
    EXPECT_TRUE(std::filesystem::is_directory(models));
  }
  std::filesystem::remove_all(dir);
}

TEST(Cli, VersionHelpAndUsageExitCodes) {
  std::string out;
  EXPECT_EQ(test::run_command(test::hearth_bin() + " --version", &out), 0);
  EXPECT_NE(out.find("hearth"), std::string::npos);
  EXPECT_EQ(test::run_command(test::hearth_bin() + " version --json", &out), 0);
  EXPECT_NE(out.find("\"version\""), std::string::npos);
  EXPECT_EQ(test::run_command(test::hearth_bin() + " --help", &out), 0);
  EXPECT_EQ(test::run_command(test::hearth_bin() + " no-such-command", &out), 2);
  EXPECT_EQ(test::run_command(test::hearth_bin(), &out), 2);
  EXPECT_EQ(test::run_command(test::hearth_bin() + " version --bogus-flag", &out), 2);
}
