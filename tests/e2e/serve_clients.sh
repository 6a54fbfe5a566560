#!/usr/bin/env bash
# The official openai and ollama npm clients against `hearth serve` on a real model ($1 = hearth).
set -euo pipefail
source "$(dirname "$0")/../support/e2e_node.sh"
exec node tests/node/serve_clients.mjs "$1" "$shared/models/stories260K.gguf"
