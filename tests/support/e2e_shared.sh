# Sourced by the e2e scripts: finds ../shared and decides what its absence means.
# Sets $shared: $HEARTH_SHARED, else the `shared` folder beside the source tree.
shared="${HEARTH_SHARED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared}"

# require_shared PATH...: every PATH must exist under $shared; otherwise the test is skipped
# (exit 77), or fails under CI, where ../shared is required.
require_shared() {
  local p
  for p in "$@"; do
    [ -e "$shared/$p" ] && continue
    if [ "${CI:-}" = "true" ]; then echo "error: ../shared is missing $p (required in CI)"; exit 1; fi
    echo "skip: ../shared not found (set HEARTH_SHARED)"; exit 77
  done
}

# server_url LOG: waits (up to 30 s) for a `hearth serve` started with --port 0 to print its
# address into LOG and prints it; empty when it never does.
server_url() {
  local url="" _
  for _ in $(seq 300); do
    url="$(grep -o 'http://127.0.0.1:[0-9]*' "$1" | head -1 || true)"
    [ -n "$url" ] && break
    sleep 0.1
  done
  printf '%s' "$url"
}
