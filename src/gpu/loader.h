// The Vulkan loader (libvulkan.so.1), opened with dlopen when first needed, so one hearth binary
// runs everywhere: where there is no loader, callers get an error to report and use the CPU.
#pragma once
#include <memory>
#include <string>

#include "gpu/loader_options.h"
#include "gpu/vulkan.h"

namespace hearth::gpu {

class Loader {
 public:
  // Opens the library and resolves the global functions. Throws hearth::Error (not_found) with
  // the reason when the library is missing or is not a Vulkan loader, and (unsupported) in a
  // statically linked program, which cannot load shared libraries safely.
  static std::shared_ptr<const Loader> open(const LoaderOptions& options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  const std::string& path() const { return path_; }
  // The highest instance version the loader offers (VK_API_VERSION_1_0 for a 1.0 loader).
  uint32_t instance_version() const { return instance_version_; }
  PFN_vkGetInstanceProcAddr get_instance_proc_addr() const { return gipa_; }
  const GlobalFns& global() const { return global_; }

 private:
  Loader() = default;
  void* handle_ = nullptr;
  std::string path_;
  uint32_t instance_version_ = VK_API_VERSION_1_0;
  PFN_vkGetInstanceProcAddr gipa_ = nullptr;
  GlobalFns global_;
};

}  // namespace hearth::gpu
