# Sourced by the e2e scripts that drive hearth with the official npm clients: sets $src and
# $shared, and skips (or, under CI, fails) when the shared models or node_modules are missing.
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
shared="${HEARTH_SHARED:-$src/../shared}"
need() {
  if [ "${CI:-}" = "true" ]; then echo "$1" >&2; exit 1; fi
  echo "skipping: $1"; exit 77
}
[ -f "$shared/models/stories260K.gguf" ] || need "shared data missing at $shared"
command -v node >/dev/null && [ -d "$src/node_modules/openai" ] && [ -d "$src/node_modules/ollama" ] ||
  need "node or node_modules missing (run npm ci)"
cd "$src"
