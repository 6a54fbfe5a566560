#include "gpu/device_info.h"

namespace hearth::gpu {

std::string_view device_type_name(DeviceType t) {
  switch (t) {
    case DeviceType::discrete: return "discrete";
    case DeviceType::integrated: return "integrated";
    case DeviceType::virtual_gpu: return "virtual";
    case DeviceType::cpu: return "cpu";
    case DeviceType::other: break;
  }
  return "other";
}

}  // namespace hearth::gpu
