// What hearth knows about one Vulkan device: identity, memory, limits and the shader features
// later kernels choose between (F16/int8 arithmetic, integer dot product, cooperative matrix).
// Plain data, no Vulkan types: the CLI and the JSON report use it without the Vulkan headers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::gpu {

enum class DeviceType { other, integrated, discrete, virtual_gpu, cpu };
// "discrete", "integrated", "virtual", "cpu", "other"
std::string_view device_type_name(DeviceType t);

struct DeviceFeatures {
  bool fp16 = false;                 // shaderFloat16: F16 arithmetic in shaders
  bool int8 = false;                 // shaderInt8: 8-bit integer arithmetic
  bool storage_16bit = false;        // storageBuffer16BitAccess
  bool storage_8bit = false;         // storageBuffer8BitAccess
  bool integer_dot_product = false;  // VK_KHR_shader_integer_dot_product (1.3 core)
  // The driver says the packed signed 4x8-bit dot product (what hearth's shaders use) runs as
  // fast as or faster than the plain arithmetic it replaces, rather than emulated with it.
  bool integer_dot_accelerated = false;
  bool cooperative_matrix = false;   // VK_KHR_cooperative_matrix
  bool subgroup_arithmetic = false;  // subgroupAdd & co. in compute shaders
};

struct DeviceInfo {
  int index = 0;  // position in the loader's list: what --device N names
  std::string name;
  DeviceType type = DeviceType::other;
  uint32_t vendor_id = 0, device_id = 0;
  std::string api_version;     // "1.3.230"
  std::string driver_version;  // decoded the vendor's way ("535.104.5" for NVIDIA)
  std::string driver_name;     // "llvmpipe", "NVIDIA", ... (empty before Vulkan 1.2)
  std::string driver_info;     // "Mesa 22.3.6 (LLVM 15.0.6)"
  uint64_t device_local_bytes = 0;        // sum of the device-local heaps
  uint64_t max_storage_buffer_range = 0;  // largest buffer one binding can see
  uint64_t max_allocation_bytes = 0;      // largest single allocation (0: not reported)
  uint32_t max_workgroup_count[3] = {0, 0, 0};
  uint32_t subgroup_size = 0;      // default subgroup size
  uint32_t max_subgroup_size = 0;  // with VK_EXT_subgroup_size_control, else the default
  DeviceFeatures features;
  bool usable = true;          // hearth can run on it
  std::string unusable_reason;  // why not, when !usable
};

}  // namespace hearth::gpu
