// Finding the Vulkan devices without failing: `hearth devices` and the choice between GPU and
// CPU need "no Vulkan here, and why" as an answer, not an exception.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"
#include "gpu/device_info.h"
#include "gpu/loader.h"

namespace hearth::gpu {

struct Discovery {
  bool available = false;  // a loader, a driver and at least one device
  std::string message;     // why not, when !available
  std::string loader;      // the library opened
  std::string instance_version;  // the loader's ("1.3.239")
  std::vector<DeviceInfo> devices;
};

// Never throws: a missing loader, driver or device, or a failing query, ends up in `message`.
Discovery discover(const LoaderOptions& options);

// The device used when none is named: the first usable discrete GPU, else integrated, virtual,
// other, and a CPU driver (lavapipe) last; -1 when none is usable.
int preferred_device(const std::vector<DeviceInfo>& devices);

json device_json(const DeviceInfo& d);
json discovery_json(const Discovery& d);

}  // namespace hearth::gpu
