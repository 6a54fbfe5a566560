// A Vulkan instance: the loaded library, the VkInstance and its function table. Shared by the
// contexts created from it (shared_ptr), destroyed after the last of them.
#pragma once
#include <memory>
#include <vector>

#include "gpu/loader.h"

namespace hearth::gpu {

class Instance {
 public:
  // Opens the loader and creates an instance of the highest version up to 1.3 it offers. Throws
  // hearth::Error: not_found without a loader or driver, unsupported for a 1.0-only loader.
  static std::shared_ptr<Instance> create(const LoaderOptions& options);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  VkInstance handle() const { return instance_; }
  const InstanceFns& fns() const { return fns_; }
  const Loader& loader() const { return *loader_; }
  uint32_t api_version() const { return api_version_; }
  std::vector<VkPhysicalDevice> physical_devices() const;

 private:
  Instance() = default;
  std::shared_ptr<const Loader> loader_;
  VkInstance instance_ = VK_NULL_HANDLE;
  uint32_t api_version_ = 0;
  InstanceFns fns_;
};

}  // namespace hearth::gpu
