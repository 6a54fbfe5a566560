// What tests that need a Vulkan device share: the loader they open and what its absence means.
// Without a device they skip with the reason, except under CI (CI=true installs lavapipe), where
// that is a failure.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

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

// In a test body: FAIL (under CI) or SKIP when there is no device; the caller returns when
// HasFatalFailure() || IsSkipped().
inline void require_vulkan() {
  static const gpu::Discovery d = gpu::discover(test_loader());
  if (d.available) return;
  if (under_ci()) FAIL() << "no Vulkan device (CI installs lavapipe: apt-get install mesa-vulkan-drivers): " << d.message;
  GTEST_SKIP() << "no Vulkan device, skipping: " << d.message;
}

}  // namespace hearth::test
