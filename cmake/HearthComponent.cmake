# hearth_component(NAME DIR DEPS ...) builds DIR/*.cpp into the static library hearth_NAME.
# NO_UNITY: its files are compiled one by one (see hearth_unity), for folders of one file per
# variant that reuse the same internal names (the quant types in src/tensor).
# Files ending in _avx2.cpp / _avxvnni.cpp / _avx512.cpp / _avx512vnni.cpp / _avx512bf16.cpp get
# that ISA's flags and only that file does: the rest of the binary stays baseline x86-64 and picks kernels at run time.
set(HEARTH_COMPONENTS "" CACHE INTERNAL "")

function(hearth_component name dir)
  cmake_parse_arguments(ARG "NO_UNITY" "" "DEPS;SOURCES;PCH" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.cpp ${CMAKE_SOURCE_DIR}/${dir}/*.c)
  list(APPEND sources ${ARG_SOURCES})
  if(NOT sources)
    # An empty concern still exists as a target so that dependents link.
    set(stub ${CMAKE_BINARY_DIR}/empty/${name}.cpp)
    file(WRITE ${stub} "// no sources in ${dir} yet\n")
    set(sources ${stub})
  endif()
  hearth_isa_flags("${sources}")
  add_library(hearth_${name} STATIC ${sources})
  target_include_directories(hearth_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(hearth_${name} PUBLIC ${ARG_DEPS})
  hearth_precompile(hearth_${name} ${ARG_PCH})
  if(NOT ARG_NO_UNITY)
    hearth_unity(hearth_${name})
  endif()
  set(HEARTH_COMPONENTS ${HEARTH_COMPONENTS} hearth_${name} CACHE INTERNAL "")
endfunction()

# hearth_program(NAME DIR DEPS ... [PCH headers]) builds DIR/*.cpp into the executable NAME (a
# front end).
function(hearth_program name dir)
  cmake_parse_arguments(ARG "" "" "DEPS;PCH" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.cpp)
  hearth_isa_flags("${sources}")
  add_executable(${name} ${sources})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  hearth_precompile(${name} ${ARG_PCH})
  hearth_unity(${name})
endfunction()

# hearth_precompile(TARGET [extra headers]) precompiles the standard headers most files use, JSON,
# and the given extras once per target. Build time, not behaviour: on two cores the clean build
# spent about a third of each file re-parsing these (HEARTH_PCH=OFF turns it off). Kernel files
# built with ISA flags skip it (a header precompiled for baseline x86-64 does not apply to them).
set(HEARTH_PCH_COMMON <algorithm> <atomic> <chrono> <cmath> <cstdint> <cstdio> <cstring>
    <filesystem> <fstream> <functional> <map> <memory> <mutex> <optional> <set> <sstream>
    <string> <string_view> <thread> <unordered_map> <vector> <nlohmann/json.hpp>)
function(hearth_precompile target)
  get_target_property(sources ${target} SOURCES)
  list(LENGTH sources count)
  if(NOT HEARTH_PCH OR count LESS 3)  # one or two files gain nothing from a shared header
    return()
  endif()
  target_precompile_headers(${target} PRIVATE ${HEARTH_PCH_COMMON} ${ARGN})
endfunction()

# hearth_unity(TARGET) compiles the target's files in batches (CMake's unity build): most of a
# file's compile time is instantiating the same JSON, CLI and std templates, which a batch does
# once. Build time only (HEARTH_UNITY=OFF builds file by file, as an IDE or a bisect may prefer);
# kernel files with ISA flags stay on their own.
option(HEARTH_UNITY "Compile each target's files in batches (faster clean builds)" ON)
function(hearth_unity target)
  if(NOT HEARTH_UNITY)
    return()
  endif()
  set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
endfunction()

# Files ending in _avx2.cpp / _avxvnni.cpp / _avx512.cpp / _avx512vnni.cpp / _avx512bf16.cpp get that
# tier's compiler flags (each tier's flags include the tiers below it).
# Under the sanitizers these files build at -O2 with UBSan but without ASan. At -O1 with ASan the
# register blocks of the kernels (arrays of vectors) lived on the stack with a shadow check per
# access, which made the model-running tests 5-20x slower than release and the ASan stage the
# longest part of CI; the masked vector loads the kernels use are not checked by ASan anyway.
# Every kernel is compared with its scalar reference, which is built with both sanitizers.
function(hearth_isa_flags sources)
  set(opt "")
  if(HEARTH_SANITIZE)
    set(opt "-O2;-fno-sanitize=address;")
  endif()
  foreach(src IN LISTS sources)
    if(src MATCHES "_avx2\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${opt}-mavx2;-mfma;-mf16c;-mbmi2"
                                  SKIP_PRECOMPILE_HEADERS ON SKIP_UNITY_BUILD_INCLUSION ON)
    elseif(src MATCHES "_avxvnni\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${opt}-mavx2;-mfma;-mf16c;-mbmi2;-mavxvnni"
                                  SKIP_PRECOMPILE_HEADERS ON SKIP_UNITY_BUILD_INCLUSION ON)
    elseif(src MATCHES "_avx512(vnni|bf16)?\\.cpp$")
      set(flags "${opt}-mavx2;-mfma;-mf16c;-mbmi2;-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq")
      if(src MATCHES "_avx512(vnni|bf16)\\.cpp$")
        list(APPEND flags "-mavx512vnni")
      endif()
      if(src MATCHES "_avx512bf16\\.cpp$")
        list(APPEND flags "-mavx512bf16")
      endif()
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${flags}" SKIP_PRECOMPILE_HEADERS ON SKIP_UNITY_BUILD_INCLUSION ON)
    endif()
  endforeach()
endfunction()
