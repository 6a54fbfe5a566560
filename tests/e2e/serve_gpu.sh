#!/usr/bin/env bash
# The server suites with every layer on the GPU ($1 = hearth): the official openai, anthropic
# and ollama clients (serve_clients) and structured output (grammar-masked sampling) against
# `hearth serve -ngl all` on whatever Vulkan device is there (lavapipe in CI). Without a Vulkan
# device this skips (exit 77), except under CI.
set -euo pipefail
source "$(dirname "$0")/../support/e2e_node.sh"
if ! "$1" devices --json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["vulkan"]["available"] else 1)'; then
  need "no Vulkan device (CI installs mesa-vulkan-drivers)"
fi
export HEARTH_TEST_SERVE_ARGS="-ngl all"
model="$shared/models/stories260K.gguf"
node tests/node/serve_clients.mjs "$1" "$model"
node tests/node/structured_output.mjs "$1" "$model"
echo "ok: server suites with -ngl all"
