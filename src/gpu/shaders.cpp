#include "gpu/shaders.h"

#include <string>

#include "core/error.h"

namespace hearth::gpu {

std::span<const uint32_t> shader_spirv(std::string_view name, bool subgroup) {
  for (const EmbeddedShader& s : embedded_shaders())
    if (s.name == name && s.subgroup == subgroup) return s.spirv;
  fail(Errc::internal, "shader " + std::string(name) + (subgroup ? " (subgroup)" : "") + " is not in this build");
}

}  // namespace hearth::gpu
