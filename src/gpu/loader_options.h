// Which Vulkan loader to open: plain data without the Vulkan headers, so option structs of the
// layers above (model::LoadOptions) can carry it.
#pragma once
#include <string>

namespace hearth::gpu {

struct LoaderOptions {
  // The loader library to open; empty means "libvulkan.so.1" from the usual library search
  // path. The CLI fills it from HEARTH_VULKAN_LOADER (a path that does not exist hides Vulkan).
  std::string path;
  // The library that will be opened: `path`, or the default.
  std::string library() const { return path.empty() ? "libvulkan.so.1" : path; }
};

}  // namespace hearth::gpu
