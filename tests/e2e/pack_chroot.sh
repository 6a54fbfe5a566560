#!/usr/bin/env bash
# A pack runs in an empty root file system ($1 = hearth): the root holds only the packed file
# and an empty home folder (no libc, no loader, no /proc, /dev, /etc or /tmp), is entered with chroot, and the pack serves
# chat completions there. Proves the packed program needs nothing installed. Needs root.
set -euo pipefail
hearth="$1"
static="$(dirname "$hearth")/hearth-static"
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
shared="${HEARTH_SHARED:-$src/../shared}"
# Under CI a skip is a failure: the portable pack is a promise, and this is its only proof.
skip() {
  if [ "${CI:-}" = "true" ]; then echo "FAIL (CI): $*"; exit 1; fi
  echo "skip: $*"; exit 77
}
[ -x "$static" ] || skip "$static not built (scripts/install-deps.sh prepares it; then reconfigure)"
command -v chroot >/dev/null || skip "no chroot"
# chroot needs root: as root directly, else in a user namespace where we are root.
if [ "$(id -u)" = 0 ]; then as_root=(); elif unshare -r true 2>/dev/null; then as_root=(unshare -r); else skip "chroot needs root or user namespaces"; fi
if [ ! -f "$shared/models/stories260K.gguf" ]; then
  [ "${CI:-}" = "true" ] && { echo "shared models missing (required in CI)"; exit 1; }
  skip "shared models not found"
fi
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$hearth" pack -m "$shared/models/stories260K.gguf" -o "$tmp/bot" --runtime "$static" \
  --args "--ctx-size 256" >/dev/null 2>&1 || fail "pack"
root="$tmp/root"
mkdir "$root"
cp "$tmp/bot" "$root/bot"
# An empty home folder, as every account has (the server keeps its data folder there).
mkdir "$root/root"
[ "$(find "$root" | wc -l)" = 3 ] || fail "root is not empty"
# The process must not reach anything on the host: a clean environment, the root's only file.
chroot_bin=$(command -v chroot)
run() { env -i HOME=/root "${as_root[@]}" "$chroot_bin" "$root" /bot "$@"; }

grep -q "stories260K.gguf" <<<"$(run --info)" || fail "--info in the empty root"
grep -q ": ok" <<<"$(run --verify)" || fail "--verify in the empty root"
: >"$tmp/out"
# Not through run(): a backgrounded function is a subshell, and killing it would leave the server.
# With no environment at all (no HOME either): the pack serves without a data folder.
: >"$tmp/out"  # exists before the loop below reads it (the redirect happens in the child, later)
env -i "${as_root[@]}" "$chroot_bin" "$root" /bot --server --host 127.0.0.1 --port 0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(sed -n 's/^hearth: serving .* at \(http[^ ]*[^/ ]\)\/*$/\1/p' "$tmp/out" | head -1)
  if [ -n "$url" ] && curl -fsS "$url/health" >/dev/null 2>&1; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/err"; fail "server exited in the empty root"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/err"; fail "no URL"; }
curl -fsS "$url/health" >/dev/null || { cat "$tmp/err"; fail "not healthy"; }
reply=$(curl -fsS "$url/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"model":"bot","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":16,"temperature":0}')
grep -q '"content":"[^"]' <<<"$reply" || fail "no completion: $reply"
echo "ok"
