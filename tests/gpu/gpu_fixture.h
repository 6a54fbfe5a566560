// Tests that need a Vulkan device share one Context per suite. Without a device they skip with
// the reason, except under CI (CI=true), which installs lavapipe: there that is a failure.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "gpu/context.h"
#include "gpu/buffer.h"
#include "gpu/discovery.h"
#include "support/vulkan.h"

namespace hearth::test {

// A buffer holding `v`, and the first n elements of a buffer.
template <class T>
gpu::Buffer upload(gpu::Context& ctx, const std::vector<T>& v) {
  gpu::Buffer b(ctx, v.size() * sizeof(T));
  b.upload(v.data(), v.size() * sizeof(T));
  return b;
}

template <class T = float>
std::vector<T> download(const gpu::Buffer& b, size_t n) {
  std::vector<T> v(n);
  b.download(v.data(), n * sizeof(T));
  return v;
}

// The code of the hearth::Error that f() throws, whose message must name `op` (a kernel's
// "gpu matmul", ...); a failure and Errc::internal when it throws none.
template <class F>
Errc error_code(F&& f, const std::string& op) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(op), std::string::npos) << e.what();
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return Errc::internal;
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
