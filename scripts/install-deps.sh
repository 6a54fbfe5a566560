#!/usr/bin/env bash
# Installs everything hearth needs to build and test on Debian 12 / Ubuntu 22.04+.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build pkg-config git clang libclang-rt-14-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libpcre2-dev \
  libcpp-httplib-dev libssl-dev libsqlite3-dev libsodium-dev libminizip-dev libutf8proc-dev \
  chromium curl ca-certificates \
  glslc libvulkan-dev mesa-vulkan-drivers \
  slurm-wlm munge >/dev/null
# (slurm-wlm and munge: tests/e2e/eval_slurm.sh starts a one-node cluster to test `eval run --slurm`.)
# (glslc and libvulkan-dev build the Vulkan backend; mesa-vulkan-drivers is lavapipe, the CPU Vulkan driver tests/gpu runs on.)
# Node.js 20+ builds the web UI and runs the API-client tests. Some images ship NodeSource's
# nodejs (which bundles npm and conflicts with Debian's npm package): only install when missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# The fully static runtime of `hearth pack` (hearth-static, built by the default build) needs
# cpp-httplib's implementation, which Debian ships only in its source package.
"$(dirname "$0")/static-deps.sh"
