#!/usr/bin/env bash
# Reasoning blocks on a local model over HTTP with the official openai, anthropic and ollama npm
# clients ($1 = hearth).
set -euo pipefail
source "$(dirname "$0")/../support/e2e_node.sh"
exec node tests/node/reasoning.mjs "$1" "$shared/models/tiny-qwen2-bpe-Q8_0.gguf" "$shared/templates/jinja"
