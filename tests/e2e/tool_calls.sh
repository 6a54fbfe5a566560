#!/usr/bin/env bash
# Tool calls on a local model over HTTP with the official openai, anthropic and ollama npm clients,
# one server per tool-call family's real template ($1 = hearth).
set -euo pipefail
source "$(dirname "$0")/../support/e2e_node.sh"
exec node tests/node/tool_calls.mjs "$1" "$shared/models/tiny-qwen2-bpe-Q8_0.gguf" "$shared/templates/jinja"
