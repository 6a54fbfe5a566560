#include "gpu/context.h"

#include "core/error.h"
#include "gpu/device_query.h"
#include "gpu/discovery.h"

namespace hearth::gpu {
namespace {

std::string device_list(const std::vector<DeviceInfo>& devices) {
  std::string s;
  for (const auto& d : devices) s += (s.empty() ? "" : ", ") + std::to_string(d.index) + ": " + d.name;
  return s;
}

// The first family that can run compute (graphics families all can): the device's main queue.
uint32_t compute_family(const Instance& inst, VkPhysicalDevice pd, const std::string& name) {
  uint32_t n = 0;
  inst.fns().vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
  std::vector<VkQueueFamilyProperties> fams(n);
  inst.fns().vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, fams.data());
  for (uint32_t i = 0; i < n; ++i)
    if ((fams[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && fams[i].queueCount > 0) return i;
  fail(Errc::unsupported, "Vulkan device " + name + " has no compute queue");
}

}  // namespace

Context::Context(const ContextOptions& options) {
  instance_ = Instance::create(options.loader);
  const auto pds = instance_->physical_devices();
  const auto infos = query_devices(*instance_);
  if (infos.empty()) fail(Errc::not_found, "no Vulkan device found (is a driver installed? Debian: mesa-vulkan-drivers)");
  int index = options.device;
  if (index < 0) {
    index = preferred_device(infos);
    if (index < 0) fail(Errc::unsupported, "no usable Vulkan device: " + infos[0].name + ": " + infos[0].unusable_reason);
  }
  if (index >= static_cast<int>(infos.size()))
    fail(Errc::invalid_argument, "Vulkan device " + std::to_string(index) + " does not exist; hearth devices lists " +
                                     device_list(infos));
  info_ = infos[index];
  physical_ = pds[index];
  if (!info_.usable) fail(Errc::unsupported, "Vulkan device " + info_.name + " cannot be used: " + info_.unusable_reason);

  const InstanceFns& f = instance_->fns();
  f.vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);
  VkPhysicalDeviceProperties props{};
  f.vkGetPhysicalDeviceProperties(physical_, &props);
  limits_ = props.limits;
  queue_family_ = compute_family(*instance_, physical_, info_.name);

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = queue_family_;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  // A portability driver (MoltenVK) must be told that hearth knows it is one.
  std::vector<const char*> exts;
  if (has_device_extension(*instance_, physical_, "VK_KHR_portability_subset")) exts.push_back("VK_KHR_portability_subset");
  // The integer-dot matmuls (Kernels::integer_dot) need the feature turned on: Vulkan 1.3 core,
  // or its extension on older devices (query_device found one of the two).
  VkPhysicalDeviceShaderIntegerDotProductFeatures dot{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
  dot.shaderIntegerDotProduct = VK_TRUE;
  if (info_.features.integer_dot_product &&
      has_device_extension(*instance_, physical_, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME))
    exts.push_back(VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  if (info_.features.integer_dot_product) dci.pNext = &dot;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  dci.enabledExtensionCount = static_cast<uint32_t>(exts.size());
  dci.ppEnabledExtensionNames = exts.data();
  check(f.vkCreateDevice(physical_, &dci, nullptr, &device_), "vkCreateDevice on " + info_.name);
  // A constructor that throws runs no destructor: undo the device here.
  try {
    open_queue();
  } catch (...) {
    destroy();
    throw;
  }
}

void Context::open_queue() {
  const InstanceFns& f = instance_->fns();
#define HEARTH_VK_LOAD(fn) fns_.fn = reinterpret_cast<PFN_##fn>(f.vkGetDeviceProcAddr(device_, #fn));
  HEARTH_VK_DEVICE_FNS(HEARTH_VK_LOAD)
#undef HEARTH_VK_LOAD
#define HEARTH_VK_REQUIRE(fn) \
  if (!fns_.fn) fail(Errc::unsupported, "the Vulkan driver of " + info_.name + " lacks " #fn);
  HEARTH_VK_DEVICE_FNS(HEARTH_VK_REQUIRE)
#undef HEARTH_VK_REQUIRE
  fns_.vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = queue_family_;
  check(fns_.vkCreateCommandPool(device_, &pci, nullptr, &pool_), "vkCreateCommandPool");
}

Context::~Context() { destroy(); }

void Context::destroy() noexcept {
  if (!device_ || !fns_.vkDestroyDevice) return;
  if (fns_.vkDeviceWaitIdle) fns_.vkDeviceWaitIdle(device_);
  if (pool_ && fns_.vkDestroyCommandPool) fns_.vkDestroyCommandPool(device_, pool_, nullptr);
  fns_.vkDestroyDevice(device_, nullptr);
  device_ = VK_NULL_HANDLE;
}

int Context::memory_type(uint32_t type_bits, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred) const {
  int fallback = -1;
  for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i) {
    const VkMemoryPropertyFlags flags = memory_.memoryTypes[i].propertyFlags;
    if (!(type_bits & (1u << i)) || (flags & required) != required) continue;
    if ((flags & preferred) == preferred) return static_cast<int>(i);
    if (fallback < 0) fallback = static_cast<int>(i);
  }
  return fallback;
}

}  // namespace hearth::gpu
