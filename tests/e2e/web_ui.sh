#!/usr/bin/env bash
# Web chat UI: vitest unit tests, then the headless-Chromium end-to-end test (tests/web/e2e.mjs).
# Usage: web_ui.sh [path/to/hearth]. The e2e test uses the UI the build embedded
# (<build>/web-dist, next to the hearth binary) and a fake API server; set HEARTH_URL to drive a
# running `hearth serve` instead. Exit 77 (skip) when web/node_modules or chromium is missing,
# unless CI=true, where that is a failure.
set -euo pipefail
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

missing=""
[ -d "$src/web/node_modules/vitest" ] || missing="web/node_modules (run: npm ci --prefix web)"
[ -x "$chromium" ] || missing="${missing:+$missing, }chromium at $chromium (apt-get install chromium)"
if [ -n "$missing" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "web_ui: missing $missing" >&2
    exit 1
  fi
  echo "web_ui: skipped, missing $missing"
  exit 77
fi

echo "== vitest"
npm --prefix "$src/web" test --silent

dist=""
if [ -n "${1:-}" ] && [ -f "$(dirname "$1")/web-dist/index.html" ]; then
  dist="$(dirname "$1")/web-dist"
else
  # No build tree to borrow from: build the UI into a scratch directory.
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$src/web" && node node_modules/vite/bin/vite.js build --logLevel warn --outDir "$tmp/dist")
  dist="$tmp/dist"
fi

echo "== browser e2e (${HEARTH_URL:-fake server}, UI from $dist)"
HEARTH_WEB_DIST="$dist" CHROMIUM="$chromium" node "$src/tests/web/e2e.mjs"
