#!/usr/bin/env bash
# gpt-oss's harmony format on a local model over HTTP with the official openai, anthropic and
# ollama npm clients: a tiny gpt-oss written by `hearth synth` (o200k_harmony's special tokens)
# with its own template and with the real gpt-oss template ($1 = hearth).
set -euo pipefail
source "$(dirname "$0")/../support/e2e_node.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$1" synth --preset tiny --arch gpt-oss --type q8_0 -o "$tmp/gpt-oss.gguf" >/dev/null
node tests/node/harmony.mjs "$1" "$tmp/gpt-oss.gguf" "$shared/templates/jinja/openai-gpt-oss-120b.jinja"
