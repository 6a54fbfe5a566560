#!/usr/bin/env bash
# Browser security of a keyless `hearth serve` on loopback: a page on another origin cannot use
# it (Origin/Host checks) and the chat page cannot be made to load remote content (CSP). $1 = hearth.
set -euo pipefail
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
. "$src/tests/support/e2e_shared.sh"
require_shared models/stories260K.gguf
chromium="${CHROMIUM:-/usr/bin/chromium}"
skip() {
  if [ "${CI:-}" = "true" ]; then echo "web_security: $1" >&2; exit 1; fi
  echo "skipping: $1"; exit 77
}
[ -d "$src/web/node_modules/playwright-core" ] || skip "web/node_modules missing (npm ci --prefix web)"
[ -x "$chromium" ] || skip "chromium missing at $chromium"
tmp="$(mktemp -d)"
export HEARTH_HOME="$tmp/home"
"$1" serve -m "$shared/models/stories260K.gguf" --port 0 >"$tmp/log" 2>&1 &
pid=$!
# The attacker's site: any page on another port is another origin.
node -e '
  const http = require("http"), fs = require("fs");
  const s = http.createServer((q, r) => { fs.appendFileSync(process.argv[1], q.url + "\n");
    r.setHeader("Content-Type", "text/html"); r.end("<!doctype html><title>evil</title>"); });
  s.listen(0, "127.0.0.1", () => console.log("http://127.0.0.1:" + s.address().port));
' "$tmp/evil.log" >"$tmp/evil.url" &
evil_pid=$!
trap 'kill $pid $evil_pid 2>/dev/null || true; wait $pid $evil_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
url="" evil=""
for _ in $(seq 300); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/log" | head -1 || true)"
  evil="$(head -1 "$tmp/evil.url" 2>/dev/null || true)"
  [ -n "$url" ] && [ -n "$evil" ] && break
  sleep 0.1
done
[ -n "$url" ] && [ -n "$evil" ] || { cat "$tmp/log" >&2; exit 1; }
touch "$tmp/evil.log"
# curl sees the same refusal a browser gets: a foreign Origin and a rebound Host are 403.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/api/hearth/memory" -H 'Origin: http://evil.example' \
  -H 'Content-Type: text/plain' -d '{"text":"x"}')
[ "$code" = 403 ] || { echo "FAIL: cross-origin POST got $code"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/models" -H 'Host: evil.example')
[ "$code" = 403 ] || { echo "FAIL: rebound Host got $code"; exit 1; }
curl -s -D - -o /dev/null "$url/" | grep -qi "^content-security-policy: default-src 'self'" || { echo "FAIL: no CSP on /"; exit 1; }
HEARTH_URL="$url" EVIL_URL="$evil" EVIL_LOG="$tmp/evil.log" CHROMIUM="$chromium" node "$src/tests/web/security.mjs"
