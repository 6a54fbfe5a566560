// One Vulkan device opened for compute: the logical device, one compute queue and a command
// pool. Buffers, pipelines and sequences are made from a Context and must be destroyed before
// it. Like a model's forward pass, a Context is used from one thread at a time.
#pragma once
#include <memory>

#include "gpu/device_info.h"
#include "gpu/instance.h"

namespace hearth::gpu {

struct ContextOptions {
  LoaderOptions loader;
  int device = -1;  // index in `hearth devices`; -1: preferred_device (discovery.h)
};

class Context {
 public:
  // Throws hearth::Error: not_found without a loader or device, invalid_argument for an index
  // that does not exist (the message lists the devices), unsupported for an unusable device.
  explicit Context(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& info() const { return info_; }
  VkDevice device() const { return device_; }
  const DeviceFns& fns() const { return fns_; }
  VkQueue queue() const { return queue_; }
  VkCommandPool command_pool() const { return pool_; }
  const VkPhysicalDeviceMemoryProperties& memory_properties() const { return memory_; }
  const VkPhysicalDeviceLimits& limits() const { return limits_; }
  // Index of a memory type allowed by `type_bits` that has all of `required` (and, among those,
  // all of `preferred` when one does); -1 when none.
  int memory_type(uint32_t type_bits, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred = 0) const;

 private:
  void open_queue();  // device functions, queue and command pool
  void destroy() noexcept;

  std::shared_ptr<Instance> instance_;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  DeviceInfo info_;
  VkPhysicalDeviceMemoryProperties memory_{};
  VkPhysicalDeviceLimits limits_{};
  VkDevice device_ = VK_NULL_HANDLE;
  DeviceFns fns_;
  uint32_t queue_family_ = 0;
  VkQueue queue_ = VK_NULL_HANDLE;
  VkCommandPool pool_ = VK_NULL_HANDLE;
};

}  // namespace hearth::gpu
