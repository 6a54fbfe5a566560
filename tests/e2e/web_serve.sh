#!/usr/bin/env bash
# The chat page as `hearth serve` itself serves it, on a real model, in headless Chromium: the
# browser sends a message and sees a streamed reply from the engine, and opens the Evaluations
# page on a real eval run, where it starts a run and cancels another ($1 = hearth).
set -euo pipefail
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
. "$src/tests/support/e2e_shared.sh"  # server_url
shared="${HEARTH_SHARED:-$src/../shared}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
need() {
  if [ "${CI:-}" = "true" ]; then echo "web_serve: $1" >&2; exit 1; fi
  echo "skipping: $1"; exit 77
}
[ -f "$shared/models/stories260K.gguf" ] || need "shared data missing at $shared"
[ -d "$src/web/node_modules/playwright-core" ] || need "web/node_modules missing (npm ci --prefix web)"
[ -x "$chromium" ] || need "chromium missing at $chromium"
tmp="$(mktemp -d)"
export HEARTH_HOME="$tmp/home"  # the server's memory store and ledger stay in the scratch folder
# One finished eval run, so the browser finds it on the Evaluations page and sees its chart.
"$1" eval run --task truthfulqa_mc1 --model "local:$shared/models/stories260K.gguf" --data-dir "$shared/eval-data" \
  --limit 2 --no-cache >/dev/null 2>"$tmp/eval.err" || { cat "$tmp/eval.err" >&2; exit 1; }
"$1" serve -m "$shared/models/stories260K.gguf" --port 0 --parallel 2 --eval-data "$shared/eval-data" >"$tmp/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
url="$(server_url "$tmp/log")"
[ -n "$url" ] || { cat "$tmp/log" >&2; exit 1; }
HEARTH_URL="$url" CHROMIUM="$chromium" HEARTH_SCREENSHOTS="$tmp/shots" node "$src/tests/web/e2e.mjs"
