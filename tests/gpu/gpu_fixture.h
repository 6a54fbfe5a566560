// Tests that need a Vulkan device share one Context per suite. Without a device they skip with
// the reason, except under CI (CI=true), which installs lavapipe: there that is a failure.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "gpu/context.h"
#include "gpu/buffer.h"
#include "gpu/discovery.h"
#include "tensor/dispatch.h"
#include "tensor/kernels.h"
#include "support/vulkan.h"

namespace hearth::test {

// n floats uniform in [lo, hi): the inputs of the kernel tests.
inline std::vector<float> random_floats(size_t n, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

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

// The CPU's scalar kernels of a type.
inline const tensor::TypeKernels& cpu_entry(tensor::Type t) {
  return tensor::kernel_table(tensor::Isa::scalar)[static_cast<uint32_t>(t)];
}

// The CPU's matmul rounding of activations of type t: its activation quantizer (the reference one
// where a type has none), as model/kv_cache.cpp and tensor::matmul pick it.
inline std::vector<uint8_t> cpu_quantize(tensor::Type t, const std::vector<float>& x) {
  const tensor::TypeKernels& e = cpu_entry(t);
  const tensor::from_float_fn from = e.from_float_act ? e.from_float_act : e.from_float_ref;
  std::vector<uint8_t> q(tensor::row_size(t, static_cast<int64_t>(x.size())));
  from(x.data(), q.data(), static_cast<int64_t>(x.size()));
  return q;
}

inline std::vector<float> cpu_dequantize(tensor::Type t, const std::vector<uint8_t>& q, size_t n) {
  std::vector<float> y(n);
  cpu_entry(t).to_float(q.data(), y.data(), static_cast<int64_t>(n));
  return y;
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
