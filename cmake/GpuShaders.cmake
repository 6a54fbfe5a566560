# Compiles the Vulkan compute shaders (src/gpu/shaders/*.comp) to SPIR-V with glslc and embeds
# them into ${HEARTH_GPU_SHADERS_CPP}, a source of the component hearth_gpu (src/gpu/shaders.h is
# its interface). Each shader is built twice: plain, and with -DHEARTH_SUBGROUP for devices
# whose compute shaders have subgroup arithmetic. *.glsl files there are included, not built.
find_program(HEARTH_GLSLC glslc)
if(NOT HEARTH_GLSLC)
  message(FATAL_ERROR "glslc is needed to compile the Vulkan shaders in src/gpu/shaders. "
                      "Install the Debian/Ubuntu package glslc (scripts/install-deps.sh does).")
endif()

set(HEARTH_GPU_SHADER_DIR ${CMAKE_SOURCE_DIR}/src/gpu/shaders)
file(GLOB HEARTH_GPU_SHADERS CONFIGURE_DEPENDS ${HEARTH_GPU_SHADER_DIR}/*.comp)
file(GLOB HEARTH_GPU_SHADER_INCLUDES CONFIGURE_DEPENDS ${HEARTH_GPU_SHADER_DIR}/*.glsl)
set(spirv_dir ${CMAKE_BINARY_DIR}/generated/spirv)
set(spirv_files "")
foreach(src IN LISTS HEARTH_GPU_SHADERS)
  get_filename_component(name ${src} NAME_WE)
  foreach(variant plain subgroup)
    set(out ${spirv_dir}/${name}.${variant}.spv)
    set(defines "")
    if(variant STREQUAL "subgroup")
      set(defines -DHEARTH_SUBGROUP=1)
    endif()
    # SPIR-V 1.3 (Vulkan 1.1): the first version with subgroup operations.
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${spirv_dir}
      COMMAND ${HEARTH_GLSLC} --target-env=vulkan1.1 -O -Werror ${defines} -I ${HEARTH_GPU_SHADER_DIR} -o ${out} ${src}
      DEPENDS ${src} ${HEARTH_GPU_SHADER_INCLUDES}
      COMMENT "Compiling shader ${name} (${variant})"
      VERBATIM)
    list(APPEND spirv_files ${out})
  endforeach()
endforeach()

set(HEARTH_GPU_SHADERS_CPP ${CMAKE_BINARY_DIR}/generated/gpu_shaders.cpp)
string(REPLACE ";" "|" spirv_arg "${spirv_files}")  # one -D value (a ; would split it)
add_custom_command(
  OUTPUT ${HEARTH_GPU_SHADERS_CPP}
  COMMAND ${CMAKE_COMMAND} -DOUT=${HEARTH_GPU_SHADERS_CPP} -DSPIRV=${spirv_arg}
          -P ${CMAKE_SOURCE_DIR}/cmake/embed_spirv.cmake
  DEPENDS ${spirv_files} ${CMAKE_SOURCE_DIR}/cmake/embed_spirv.cmake
  COMMENT "Embedding the Vulkan shaders"
  VERBATIM)
