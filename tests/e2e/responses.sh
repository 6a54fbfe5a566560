#!/usr/bin/env bash
# The OpenAI Responses API on a local model with the official openai npm client ($1 = hearth).
set -euo pipefail
source "$(dirname "$0")/../support/e2e_node.sh"
exec node tests/node/responses.mjs "$1" "$shared/models/tiny-qwen2-bpe-Q8_0.gguf" \
  "$shared/templates/jinja/Qwen-Qwen2.5-7B-Instruct.jinja"
