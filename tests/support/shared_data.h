// Finding ../shared (test models, goldens, vocabularies) from tests. When it is absent a test
// skips with a clear message, except under CI (CI=true), where absence is a failure.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace hearth::test {

// $HEARTH_SHARED, else <source dir>/../shared; empty path when neither exists.
std::filesystem::path shared_dir();

// Path of a file under shared/, or empty when shared/ is missing.
std::filesystem::path shared_path(const std::string& relative);

// Reads a whole file (throws on failure).
std::string read_file(const std::filesystem::path& path);

// A fresh empty temporary directory, removed by the caller (or left in /tmp).
std::filesystem::path make_temp_dir(const std::string& prefix);

// Runs a shell command; returns its exit status and captures stdout (stderr goes to `err` when
// given, else is discarded).
int run_command(const std::string& cmd, std::string* out, std::string* err = nullptr);

// Path of the built `hearth` executable.
std::string hearth_bin();

// Sets an environment variable (HEARTH_HOME, say) for a scope, then puts back what was there:
// each test program has its own HEARTH_HOME (support/test_home.cpp), which must survive a test
// that points it elsewhere.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_, old_;
  bool had_ = false;
};

}  // namespace hearth::test

// Use at the top of a test that needs shared data.
#define HEARTH_REQUIRE_SHARED()                                                              \
  do {                                                                                       \
    if (::hearth::test::shared_dir().empty()) {                                              \
      const char* ci = std::getenv("CI");                                                    \
      if (ci && std::string(ci) == "true") FAIL() << "../shared is missing (required in CI)"; \
      GTEST_SKIP() << "../shared not found (set HEARTH_SHARED); skipping";                  \
    }                                                                                        \
  } while (0)
