#!/usr/bin/env bash
# The official @modelcontextprotocol/sdk npm client against `hearth mcp` (stdio and HTTP; $1 = hearth).
set -euo pipefail
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
if ! command -v node >/dev/null || [ ! -d "$src/node_modules/@modelcontextprotocol/sdk" ]; then
  if [ "${CI:-}" = "true" ]; then echo "node or node_modules missing (run npm ci)" >&2; exit 1; fi
  echo "skipping: node_modules missing (run npm ci)"; exit 77
fi
cd "$src"
exec node tests/node/mcp_client.mjs "$1"
