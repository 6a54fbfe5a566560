# hearth-static: the hearth program linked fully statically, the runtime `hearth pack` puts in
# front of a model so the packed file runs on any x86-64 Linux with nothing installed.
#
# It is the same object files and component libraries as `hearth`; only the final link
# differs (cmake/static_link.sh swaps each shared library for its Debian .a). The one dependency
# without a static archive in Debian, cpp-httplib, is compiled from its implementation file,
# which scripts/static-deps.sh prepares. Kernels keep their run-time CPU dispatch: the binary is
# baseline x86-64 and picks AVX2/AVX-512 code when the CPU has it.
#
# Not built under sanitizers or fuzzing (those runtimes cannot link statically), or when the
# httplib implementation is missing; the pack end-to-end tests then skip.
set(HEARTH_HTTPLIB_CC "/opt/hearth-deps/cpp-httplib/httplib.cc" CACHE FILEPATH
    "cpp-httplib implementation matching /usr/include/httplib.h (scripts/static-deps.sh)")
if(HEARTH_SANITIZE OR HEARTH_BUILD_FUZZERS)
  return()
endif()
if(NOT EXISTS ${HEARTH_HTTPLIB_CC})
  message(STATUS "hearth-static: not built (${HEARTH_HTTPLIB_CC} missing; run scripts/static-deps.sh)")
  return()
endif()

# Same flags as Debian's libcpp-httplib build, so the classes match the system header's layout.
add_library(hearth_httplib_impl STATIC ${HEARTH_HTTPLIB_CC})
target_compile_definitions(hearth_httplib_impl PRIVATE CPPHTTPLIB_USE_POLL CPPHTTPLIB_OPENSSL_SUPPORT
                           CPPHTTPLIB_ZLIB_SUPPORT CPPHTTPLIB_BROTLI_SUPPORT)
target_compile_options(hearth_httplib_impl PRIVATE -w)

# hearth's own object files, linked a second time: the static runtime costs one extra link (and
# httplib.cc once), not a second compile of the command-line sources.
add_executable(hearth-static $<TARGET_OBJECTS:hearth>)
target_link_libraries(hearth-static PRIVATE libhearth CLI11::CLI11 hearth_httplib_impl
                      ssl crypto z brotlienc brotlidec brotlicommon)
set_target_properties(hearth-static PROPERTIES LINKER_LANGUAGE CXX
  RULE_LAUNCH_LINK "${CMAKE_SOURCE_DIR}/cmake/static_link.sh")
