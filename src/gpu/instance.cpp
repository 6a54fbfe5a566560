#include "gpu/instance.h"

#include <algorithm>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <link.h>
#endif

#include "core/error.h"

namespace hearth::gpu {
namespace {

bool has_instance_extension(const GlobalFns& g, const char* name) {
  uint32_t n = 0;
  if (g.vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr) != VK_SUCCESS) return false;
  std::vector<VkExtensionProperties> exts(n);
  if (g.vkEnumerateInstanceExtensionProperties(nullptr, &n, exts.data()) != VK_SUCCESS) return false;
  return std::any_of(exts.begin(), exts.end(), [&](const auto& e) { return std::strcmp(e.extensionName, name) == 0; });
}

}  // namespace

std::shared_ptr<Instance> Instance::create(const LoaderOptions& options) {
  std::shared_ptr<Instance> inst(new Instance());
  inst->loader_ = Loader::open(options);
  const Loader& l = *inst->loader_;
  // Shaders are SPIR-V 1.3 (Vulkan 1.1); properties2 and subgroup queries are 1.1 core.
  if (l.instance_version() < VK_API_VERSION_1_1)
    fail(Errc::unsupported, "the Vulkan loader " + l.path() + " offers only Vulkan " +
                                version_text(l.instance_version()) + "; hearth needs 1.1 or newer");
  inst->api_version_ = std::min<uint32_t>(l.instance_version(), VK_API_VERSION_1_3);

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "hearth";
  app.pEngineName = "hearth";
  app.apiVersion = inst->api_version_;
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ci.pApplicationInfo = &app;
  // Portability drivers (MoltenVK) are listed only when asked for.
  std::vector<const char*> exts;
  if (has_instance_extension(l.global(), VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
    exts.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
    ci.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
  }
  ci.enabledExtensionCount = static_cast<uint32_t>(exts.size());
  ci.ppEnabledExtensionNames = exts.data();
  const VkResult r = l.global().vkCreateInstance(&ci, nullptr, &inst->instance_);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
    fail(Errc::not_found, "the Vulkan loader " + l.path() +
                              " found no driver; install your GPU's Vulkan driver (Debian: mesa-vulkan-drivers)");
  check(r, "vkCreateInstance");

  const auto gipa = l.get_instance_proc_addr();
#define HEARTH_VK_LOAD(fn) inst->fns_.fn = reinterpret_cast<PFN_##fn>(gipa(inst->instance_, #fn));
  HEARTH_VK_INSTANCE_FNS(HEARTH_VK_LOAD)
#undef HEARTH_VK_LOAD
#define HEARTH_VK_REQUIRE(fn) \
  if (!inst->fns_.fn) fail(Errc::unsupported, "the Vulkan loader " + l.path() + " lacks " #fn);
  HEARTH_VK_INSTANCE_FNS(HEARTH_VK_REQUIRE)
#undef HEARTH_VK_REQUIRE
  return inst;
}

namespace {

// Under AddressSanitizer only, just before an instance goes: keeps every library loaded so far
// (the Vulkan loader, the drivers it opened, what they link) mapped for the life of the process.
// The Vulkan loader unloads a driver when its instance goes, and lavapipe (Mesa 22.3.6-1+deb12u2, what apt installs now)
// keeps 128 bytes from device enumeration in its own globals: once unloaded, LeakSanitizer saw
// them as a leak from an "<unknown module>" at exit and failed every GPU test. Pinned, the block
// stays reachable from the driver's data, and no suppression hides a leak of hearth's own.
void pin_loaded_libraries() {
#if defined(__SANITIZE_ADDRESS__)
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void*) {
        if (info->dlpi_name && info->dlpi_name[0]) dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
        return 0;
      },
      nullptr);
#endif
}

}  // namespace

Instance::~Instance() {
  pin_loaded_libraries();
  if (instance_ && fns_.vkDestroyInstance) fns_.vkDestroyInstance(instance_, nullptr);
}

std::vector<VkPhysicalDevice> Instance::physical_devices() const {
  uint32_t n = 0;
  check(fns_.vkEnumeratePhysicalDevices(instance_, &n, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> out(n);
  VkResult r = fns_.vkEnumeratePhysicalDevices(instance_, &n, out.data());
  if (r != VK_INCOMPLETE) check(r, "vkEnumeratePhysicalDevices");
  out.resize(n);
  return out;
}

}  // namespace hearth::gpu
