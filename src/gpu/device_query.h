// Fills a DeviceInfo from a physical device (properties, memory heaps, feature structures).
#pragma once
#include "gpu/device_info.h"
#include "gpu/instance.h"

namespace hearth::gpu {

DeviceInfo query_device(const Instance& instance, VkPhysicalDevice device, int index);
// Every device the instance sees, in the loader's order.
std::vector<DeviceInfo> query_devices(const Instance& instance);
bool has_device_extension(const Instance& instance, VkPhysicalDevice device, const char* name);

}  // namespace hearth::gpu
