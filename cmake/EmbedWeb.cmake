# Builds the browser chat UI (web/) into ${HEARTH_WEB_CPP}, the source of the component
# hearth_web (src/web/web_assets.h is its interface).
#
# At build time: `vite build` writes the UI into <build>/web-dist (and the eval report's chart
# script into <build>/web-dist/report), then cmake/embed_web.mjs turns
# every file there into <build>/generated/web_assets.cpp (bytes, path, content type, ETag). Both
# steps rerun only when a file under web/ (sources, config, lockfile) or the generator changes.
#
# Needs node and the UI's npm packages. The packages are NOT installed by the build (no network
# during a build): run `npm ci --prefix web` once before configuring, as .ci/run does.

find_program(HEARTH_NODE NAMES node nodejs)
if(NOT HEARTH_NODE)
  message(FATAL_ERROR "node (Node.js 20+) is needed to build the embedded web UI. "
                      "Install nodejs and npm (scripts/install-deps.sh does).")
endif()
set(HEARTH_WEB_DIR ${CMAKE_SOURCE_DIR}/web)
set(HEARTH_VITE ${HEARTH_WEB_DIR}/node_modules/vite/bin/vite.js)
if(NOT EXISTS ${HEARTH_VITE})
  message(FATAL_ERROR "The web UI's npm packages are missing (${HEARTH_VITE} not found).\n"
                      "Run this once, then configure again:\n"
                      "  npm ci --prefix ${HEARTH_WEB_DIR}")
endif()

file(GLOB_RECURSE HEARTH_WEB_INPUTS CONFIGURE_DEPENDS
     ${HEARTH_WEB_DIR}/src/*
     ${HEARTH_WEB_DIR}/public/*)
list(APPEND HEARTH_WEB_INPUTS
     ${HEARTH_WEB_DIR}/index.html
     ${HEARTH_WEB_DIR}/vite.config.ts
     ${HEARTH_WEB_DIR}/vite.report.config.ts
     ${HEARTH_WEB_DIR}/package-lock.json
     ${CMAKE_SOURCE_DIR}/cmake/embed_web.mjs)

set(HEARTH_WEB_DIST ${CMAKE_BINARY_DIR}/web-dist)
set(HEARTH_WEB_CPP ${CMAKE_BINARY_DIR}/generated/web_assets.cpp)
# The stamp is the rule's output and the .cpp a byproduct: Ninja re-checks the .cpp's timestamp
# after the rule runs, and the generator leaves an unchanged file alone, so a web edit that does
# not change the built UI (a comment, a test) recompiles nothing.
set(HEARTH_WEB_STAMP ${CMAKE_BINARY_DIR}/generated/web_assets.stamp)
add_custom_command(
  OUTPUT ${HEARTH_WEB_STAMP}
  BYPRODUCTS ${HEARTH_WEB_CPP}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/generated
  COMMAND ${HEARTH_NODE} ${HEARTH_VITE} build --logLevel warn --emptyOutDir --outDir ${HEARTH_WEB_DIST}
  # The chart script that `hearth eval report` inlines (embedded as /report/eval-report.js).
  COMMAND ${HEARTH_NODE} ${HEARTH_VITE} build --config vite.report.config.ts --logLevel warn --emptyOutDir
          --outDir ${HEARTH_WEB_DIST}/report
  COMMAND ${HEARTH_NODE} ${CMAKE_SOURCE_DIR}/cmake/embed_web.mjs ${HEARTH_WEB_DIST} ${HEARTH_WEB_CPP}
  COMMAND ${CMAKE_COMMAND} -E touch ${HEARTH_WEB_STAMP}
  WORKING_DIRECTORY ${HEARTH_WEB_DIR}
  DEPENDS ${HEARTH_WEB_INPUTS}
  COMMENT "Building and embedding the web UI"
  VERBATIM)
add_custom_target(hearth_web_build DEPENDS ${HEARTH_WEB_STAMP})

