#include "gpu/device_query.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace hearth::gpu {
namespace {

DeviceType to_type(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return DeviceType::integrated;
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return DeviceType::discrete;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return DeviceType::virtual_gpu;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return DeviceType::cpu;
    default: return DeviceType::other;
  }
}

// NVIDIA packs its driver version as 10.8.8.6 bits; the others use Vulkan's own encoding.
std::string driver_version_text(uint32_t vendor, uint32_t v) {
  if (vendor == 0x10de)
    return std::to_string(v >> 22) + "." + std::to_string((v >> 14) & 0xff) + "." + std::to_string((v >> 6) & 0xff);
  return version_text(v);
}

std::set<std::string> device_extensions(const Instance& inst, VkPhysicalDevice pd) {
  uint32_t n = 0;
  std::set<std::string> out;
  if (inst.fns().vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr) != VK_SUCCESS) return out;
  std::vector<VkExtensionProperties> exts(n);
  if (inst.fns().vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, exts.data()) != VK_SUCCESS) return out;
  for (uint32_t i = 0; i < n; ++i) out.insert(exts[i].extensionName);
  return out;
}

// Prepends structure s to a pNext chain.
template <class T>
void link(void*& chain, T& s) {
  s.pNext = chain;
  chain = &s;
}

}  // namespace

bool has_device_extension(const Instance& inst, VkPhysicalDevice pd, const char* name) {
  return device_extensions(inst, pd).count(name) > 0;
}

DeviceInfo query_device(const Instance& inst, VkPhysicalDevice pd, int index) {
  const InstanceFns& f = inst.fns();
  DeviceInfo d;
  d.index = index;
  VkPhysicalDeviceProperties base{};
  f.vkGetPhysicalDeviceProperties(pd, &base);
  d.name = base.deviceName;
  d.type = to_type(base.deviceType);
  d.vendor_id = base.vendorID;
  d.device_id = base.deviceID;
  d.api_version = version_text(base.apiVersion);
  d.driver_version = driver_version_text(base.vendorID, base.driverVersion);
  d.max_storage_buffer_range = base.limits.maxStorageBufferRange;
  std::copy(base.limits.maxComputeWorkGroupCount, base.limits.maxComputeWorkGroupCount + 3, d.max_workgroup_count);

  VkPhysicalDeviceMemoryProperties mem{};
  f.vkGetPhysicalDeviceMemoryProperties(pd, &mem);
  for (uint32_t i = 0; i < mem.memoryHeapCount; ++i)
    if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) d.device_local_bytes += mem.memoryHeaps[i].size;

  // Structures of a version are asked for only when both the instance and the device have it
  // (or the device has the extension that introduced them).
  const uint32_t api = std::min(base.apiVersion, inst.api_version());
  if (api < VK_API_VERSION_1_1) {
    d.usable = false;
    d.unusable_reason = "Vulkan " + d.api_version + " device; hearth needs 1.1";
    return d;
  }
  const std::set<std::string> exts = device_extensions(inst, pd);
  const auto has = [&](const char* e) { return exts.count(e) > 0; };
  const bool v12 = api >= VK_API_VERSION_1_2, v13 = api >= VK_API_VERSION_1_3;

  VkPhysicalDeviceSubgroupProperties sg{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceMaintenance3Properties m3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceDriverProperties drv{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceSubgroupSizeControlProperties sgc{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
  void* props_chain = nullptr;
  link(props_chain, sg);
  link(props_chain, m3);
  const bool has_drv = v12 || has(VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
  const bool has_sgc = v13 || has(VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  if (has_drv) link(props_chain, drv);
  if (has_sgc) link(props_chain, sgc);
  VkPhysicalDeviceShaderIntegerDotProductProperties dot_props{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES};
  const bool has_dot = v13 || has(VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
  if (has_dot) link(props_chain, dot_props);
  VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props2.pNext = props_chain;
  f.vkGetPhysicalDeviceProperties2(pd, &props2);
  d.subgroup_size = sg.subgroupSize;
  d.max_subgroup_size = has_sgc && sgc.maxSubgroupSize ? sgc.maxSubgroupSize : sg.subgroupSize;
  d.max_allocation_bytes = m3.maxMemoryAllocationSize;
  if (has_drv) {
    d.driver_name = drv.driverName;
    d.driver_info = drv.driverInfo;
  }
  const VkSubgroupFeatureFlags need = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
  d.features.subgroup_arithmetic =
      (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) && (sg.supportedOperations & need) == need;

  VkPhysicalDevice16BitStorageFeatures s16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  VkPhysicalDevice8BitStorageFeatures s8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
  VkPhysicalDeviceShaderFloat16Int8Features f16i8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  VkPhysicalDeviceShaderIntegerDotProductFeatures dot{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
  VkPhysicalDeviceCooperativeMatrixFeaturesKHR coop{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR};
  void* feat_chain = nullptr;
  link(feat_chain, s16);
  const bool has_s8 = v12 || has(VK_KHR_8BIT_STORAGE_EXTENSION_NAME);
  const bool has_f16i8 = v12 || has(VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  const bool has_coop = has(VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME);
  if (has_s8) link(feat_chain, s8);
  if (has_f16i8) link(feat_chain, f16i8);
  if (has_dot) link(feat_chain, dot);
  if (has_coop) link(feat_chain, coop);
  VkPhysicalDeviceFeatures2 feats2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  feats2.pNext = feat_chain;
  f.vkGetPhysicalDeviceFeatures2(pd, &feats2);
  d.features.storage_16bit = s16.storageBuffer16BitAccess;
  d.features.storage_8bit = has_s8 && s8.storageBuffer8BitAccess;
  d.features.fp16 = has_f16i8 && f16i8.shaderFloat16;
  d.features.int8 = has_f16i8 && f16i8.shaderInt8;
  d.features.integer_dot_product = has_dot && dot.shaderIntegerDotProduct;
  d.features.integer_dot_accelerated =
      d.features.integer_dot_product && dot_props.integerDotProduct4x8BitPackedSignedAccelerated;
  d.features.cooperative_matrix = has_coop && coop.cooperativeMatrix;
  return d;
}

std::vector<DeviceInfo> query_devices(const Instance& inst) {
  std::vector<DeviceInfo> out;
  const auto pds = inst.physical_devices();
  for (size_t i = 0; i < pds.size(); ++i) out.push_back(query_device(inst, pds[i], static_cast<int>(i)));
  return out;
}

}  // namespace hearth::gpu
