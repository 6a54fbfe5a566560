#include "gpu/discovery.h"

#include <exception>

#include "gpu/device_query.h"
#include "gpu/instance.h"

namespace hearth::gpu {

Discovery discover(const LoaderOptions& options) {
  Discovery d;
  d.loader = options.library();
  try {
    const auto inst = Instance::create(options);
    d.instance_version = version_text(inst->loader().instance_version());
    d.devices = query_devices(*inst);
    d.available = !d.devices.empty();
    if (!d.available) d.message = "the Vulkan loader found no device";
  } catch (const std::exception& e) {
    d.devices.clear();
    d.message = e.what();
  }
  return d;
}

int preferred_device(const std::vector<DeviceInfo>& devices) {
  for (DeviceType t : {DeviceType::discrete, DeviceType::integrated, DeviceType::virtual_gpu, DeviceType::other,
                       DeviceType::cpu})
    for (const auto& d : devices)
      if (d.usable && d.type == t) return d.index;
  return -1;
}

json device_json(const DeviceInfo& d) {
  const DeviceFeatures& f = d.features;
  json j = {{"index", d.index},
            {"name", d.name},
            {"type", std::string(device_type_name(d.type))},
            {"vendor_id", d.vendor_id},
            {"device_id", d.device_id},
            {"api_version", d.api_version},
            {"driver_version", d.driver_version},
            {"driver_name", d.driver_name},
            {"driver_info", d.driver_info},
            {"device_local_bytes", d.device_local_bytes},
            {"max_allocation_bytes", d.max_allocation_bytes},
            {"max_storage_buffer_range", d.max_storage_buffer_range},
            {"subgroup_size", d.subgroup_size},
            {"max_subgroup_size", d.max_subgroup_size},
            {"features",
             {{"fp16", f.fp16},
              {"int8", f.int8},
              {"storage_16bit", f.storage_16bit},
              {"storage_8bit", f.storage_8bit},
              {"integer_dot_product", f.integer_dot_product},
              {"integer_dot_accelerated", f.integer_dot_accelerated},
              {"cooperative_matrix", f.cooperative_matrix},
              {"subgroup_arithmetic", f.subgroup_arithmetic}}},
            {"usable", d.usable}};
  if (!d.usable) j["unusable_reason"] = d.unusable_reason;
  return j;
}

json discovery_json(const Discovery& d) {
  json j = {{"available", d.available}, {"loader", d.loader}, {"devices", json::array()}};
  if (!d.instance_version.empty()) j["instance_version"] = d.instance_version;
  if (!d.message.empty()) j["message"] = d.message;
  for (const auto& dev : d.devices) j["devices"].push_back(device_json(dev));
  return j;
}

}  // namespace hearth::gpu
