// The SPIR-V of src/gpu/shaders/*.comp, compiled by glslc at build time and embedded in the
// binary (cmake/GpuShaders.cmake writes the table into a generated source file). Every shader
// exists twice: plain, and built with subgroup operations for devices that have them.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace hearth::gpu {

struct EmbeddedShader {
  std::string_view name;  // the file name without .comp: "matvec_f32"
  bool subgroup;          // built with -DHEARTH_SUBGROUP
  std::span<const uint32_t> spirv;
};

// Every embedded shader (defined in the generated file).
std::span<const EmbeddedShader> embedded_shaders();
// One of them; throws hearth::Error (internal) when it was not built.
std::span<const uint32_t> shader_spirv(std::string_view name, bool subgroup);

}  // namespace hearth::gpu
