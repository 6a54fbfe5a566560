#include "gpu/loader.h"

#include <dlfcn.h>
#include <sys/auxv.h>

#include "core/error.h"

namespace hearth::gpu {
namespace {

// A static executable has no dynamic linker (AT_BASE is 0): dlopen there would bring a second C
// library into the process, so the packed runtime (hearth-static) stays on the CPU.
bool statically_linked() { return getauxval(AT_BASE) == 0; }

}  // namespace

std::shared_ptr<const Loader> Loader::open(const LoaderOptions& options) {
  const std::string path = options.library();
  if (statically_linked())
    fail(Errc::unsupported, "this hearth is statically linked and cannot load " + path);
  std::shared_ptr<Loader> l(new Loader());
  l->path_ = path;
  l->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!l->handle_) {
    const char* why = dlerror();  // names the path
    fail(Errc::not_found, "cannot open the Vulkan loader: " + (why ? std::string(why) : path));
  }
  l->gipa_ = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(l->handle_, "vkGetInstanceProcAddr"));
  if (!l->gipa_) fail(Errc::not_found, path + " is not a Vulkan loader (no vkGetInstanceProcAddr)");
#define HEARTH_VK_LOAD(fn) l->global_.fn = reinterpret_cast<PFN_##fn>(l->gipa_(VK_NULL_HANDLE, #fn));
  HEARTH_VK_GLOBAL_FNS(HEARTH_VK_LOAD)
#undef HEARTH_VK_LOAD
  if (!l->global_.vkCreateInstance) fail(Errc::not_found, path + " does not provide vkCreateInstance");
  // vkEnumerateInstanceVersion exists from 1.1 on; its absence means a 1.0 loader.
  if (l->global_.vkEnumerateInstanceVersion) {
    uint32_t v = VK_API_VERSION_1_0;
    if (l->global_.vkEnumerateInstanceVersion(&v) == VK_SUCCESS) l->instance_version_ = v;
  }
  return l;
}

Loader::~Loader() {
  if (handle_) dlclose(handle_);
}

}  // namespace hearth::gpu
