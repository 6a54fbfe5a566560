#!/usr/bin/env bash
# Structured output over HTTP with the official openai and ollama npm clients ($1 = hearth).
set -euo pipefail
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
shared="${HEARTH_SHARED:-$src/../shared}"
need() {
  if [ "${CI:-}" = "true" ]; then echo "$1" >&2; exit 1; fi
  echo "skipping: $1"; exit 77
}
[ -f "$shared/models/stories260K.gguf" ] || need "shared data missing at $shared"
command -v node >/dev/null && [ -d "$src/node_modules/openai" ] && [ -d "$src/node_modules/ollama" ] ||
  need "node or node_modules missing (run npm ci)"
cd "$src"
exec node tests/node/structured_output.mjs "$1" "$shared/models/stories260K.gguf"
