#!/usr/bin/env bash
# Structured output over HTTP with the official openai and ollama npm clients ($1 = hearth).
set -euo pipefail
source "$(dirname "$0")/../support/e2e_node.sh"
exec node tests/node/structured_output.mjs "$1" "$shared/models/stories260K.gguf"
