// Tests that need a Vulkan device share one Context per suite. Without a device they skip with
// the reason, except under CI (CI=true), which installs lavapipe: there that is a failure.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "gpu/context.h"
#include "gpu/discovery.h"

namespace hearth::test {

// The loader the tests open: $HEARTH_VULKAN_LOADER as the CLI honours it, else the system's.
inline gpu::LoaderOptions test_loader() {
  const char* p = std::getenv("HEARTH_VULKAN_LOADER");
  return {p ? p : ""};
}

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

class GpuTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const gpu::Discovery d = gpu::discover(test_loader());
    if (d.available) ctx_ = std::make_unique<gpu::Context>(gpu::ContextOptions{test_loader(), -1});
    else why_ = d.message;
  }
  static void TearDownTestSuite() { ctx_.reset(); }
  void SetUp() override {
    if (ctx_) return;
    if (under_ci()) FAIL() << "no Vulkan device (CI needs lavapipe: apt-get install mesa-vulkan-drivers): " << why_;
    GTEST_SKIP() << "no Vulkan device, skipping: " << why_;
  }
  gpu::Context& ctx() { return *ctx_; }

  static inline std::unique_ptr<gpu::Context> ctx_;
  static inline std::string why_;
};

}  // namespace hearth::test
