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
  libcpp-httplib-dev libssl-dev libsqlite3-dev libsodium-dev libutf8proc-dev \
  nodejs npm chromium curl ca-certificates >/dev/null
