#!/usr/bin/env bash
# hearth pack end to end ($1 = hearth): pack two shared models (with hearth-static as the program
# when that build dir has it, else the dynamic hearth itself), copy a
# pack to a fresh folder under another name, run it, talk to it with the openai npm client;
# --info, --verify, --extract (byte-identical), symlink and PATH starts; flags override the
# embedded defaults; tampered, truncated and non-hearth files are refused.
set -euo pipefail
hearth="$1"
static="$(dirname "$hearth")/hearth-static"
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
shared="${HEARTH_SHARED:-$src/../shared}"
skip() { echo "skip: $*"; exit 77; }
# Without hearth-static the pack holds this hearth (dynamically linked; fine on this machine).
if [ -x "$static" ]; then runtime="$static"; is_static=true; else runtime="$hearth"; is_static=false; fi
if [ ! -f "$shared/models/stories260K.gguf" ]; then
  [ "${CI:-}" = "true" ] && { echo "shared models missing (required in CI)"; exit 1; }
  skip "shared models not found"
fi
if ! command -v node >/dev/null || [ ! -d "$src/node_modules/openai" ]; then
  [ "${CI:-}" = "true" ] && { echo "node_modules/openai missing (run npm ci)"; exit 1; }
  skip "node_modules/openai missing (run npm ci)"
fi
tmp=$(mktemp -d)
pids=()
runs=0
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
export HEARTH_HOME="$tmp/home"

# Starts `$@` in the background with stdout in $tmp/out.N; sets URL once /health says ready.
start_server() {
  local n=$runs pid
  runs=$((runs + 1))
  : >"$tmp/out.$n"  # exists before the loop below reads it
  "$@" >"$tmp/out.$n" 2>"$tmp/err.$n" &
  pid=$!
  pids+=("$pid")
  URL=""
  for _ in $(seq 1 600); do
    URL=$(sed -n 's/^hearth: serving .* at \(http[^ ]*[^/ ]\)\/*$/\1/p' "$tmp/out.$n" | head -1)
    if [ -n "$URL" ] && curl -fsS "$URL/health" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/err.$n"; fail "server exited: $*"; }
    sleep 0.1
  done
  cat "$tmp/err.$n"; fail "server not healthy: $*"
}
stop_last() { local p=${pids[-1]}; kill "$p"; wait "$p" 2>/dev/null || true; unset 'pids[-1]'; }

# 1. Pack; the result carries the model and the default flags.
model="$shared/models/stories260K.gguf"
"$hearth" pack -m "$model" -o "$tmp/storyteller" --name "Story teller" --runtime "$runtime" \
  --args "--ctx-size 256 --parallel 2 --alias storyteller" >"$tmp/pack.txt" 2>"$tmp/pack.err" || { cat "$tmp/pack.err"; fail "pack"; }
if $is_static; then
  grep -q "dynamically linked" "$tmp/pack.err" && fail "static runtime reported as dynamic"
  readelf -l "$tmp/storyteller" | grep -q INTERP && fail "packed program needs a dynamic loader"
else
  grep -q "dynamically linked" "$tmp/pack.err" || fail "no note that the program inside is dynamic"
fi

# 2. A fresh folder, another name: it finds its own model.
mkdir "$tmp/fresh"
cp "$tmp/storyteller" "$tmp/fresh/my-bot"
rm "$tmp/storyteller"
bot="$tmp/fresh/my-bot"
"$bot" --info --json >"$tmp/info.json"
node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const ok = m.name === "Story teller" && m.model.file === "stories260K.gguf" && m.runtime.static === (process.argv[2] === "true") &&
             m.args.join(" ") === "--ctx-size 256 --parallel 2 --alias storyteller" && m.layout.gguf_offset % 65536 === 0;
  if (!ok) { console.error(JSON.stringify(m)); process.exit(1); }' "$tmp/info.json" "$is_static" || fail "--info --json"
grep -q "Story teller" <<<"$("$bot" --info)" || fail "--info text"
"$bot" --verify | grep -q ": ok" || fail "--verify"
# --verify memoises the result; forget it so the first server start below checks again.
[ -n "$(ls -A "$HEARTH_HOME/pack-verified" 2>/dev/null)" ] || fail "--verify left no memo"
rm -rf "$HEARTH_HOME/pack-verified"

# 3. Serve (not a terminal: server only), talk with the openai client. First start verifies.
start_server "$bot" --port 0
grep -q "checking the pack's integrity" "$tmp/err.0" || fail "first start did not verify"
node "$src/tests/e2e/pack_openai.mjs" "$URL" >"$tmp/chat.json" || fail "openai client"
grep -q '"model":"storyteller"' "$tmp/chat.json" || fail "embedded --alias not applied: $(cat "$tmp/chat.json")"
grep -qi "<html" <<<"$(curl -fsS "$URL/")" || fail "web UI not served"
stop_last

# 4. Through a symlink and through PATH, with a flag overriding an embedded default; the second
#    start of the same file skips the hash.
ln -s "$bot" "$tmp/link"
start_server "$tmp/link" --server --port 0 --alias renamed
[ -f "$tmp/err.1" ] || fail "no second run"
grep -q "checking the pack's integrity" "$tmp/err.1" && fail "verified again on the second start"
curl -fsS "$URL/v1/models" | grep -q '"renamed"' || fail "--alias did not override the embedded default"
stop_last
(cd / && PATH="$tmp/fresh:/usr/bin:/bin" my-bot --info >/dev/null) || fail "start through PATH"

# 5. --extract gives the GGUF back byte for byte.
"$bot" --extract "$tmp/out" >/dev/null
cmp "$tmp/out/stories260K.gguf" "$model" || fail "--extract not byte-identical"
"$bot" inspect "$bot" >"$tmp/inspect.txt" && grep -q "48 tensors" "$tmp/inspect.txt" || fail "inspect on the pack"

# 5b. --chat: a terminal chat (here on a pipe) against a private server the pack starts and stops.
printf 'Once upon a time\n/exit\n' | timeout 120 "$bot" --chat --ctx-size 512 >"$tmp/tchat.out" 2>"$tmp/tchat.err" ||
  { cat "$tmp/tchat.err"; fail "--chat"; }
grep -q "chatting with" "$tmp/tchat.err" && [ -s "$tmp/tchat.out" ] || { cat "$tmp/tchat.err"; fail "--chat gave no reply"; }

# 5c. A chat whose parent is killed (its terminal closed: SIGHUP; or SIGTERM, or even kill -9)
#     takes its private server with it.
for sig in HUP TERM KILL; do
  mkfifo "$tmp/in.$sig"
  "$bot" --chat --ctx-size 256 <"$tmp/in.$sig" >"$tmp/sig.out" 2>"$tmp/sig.err" &
  chat_pid=$!
  exec {keep}>"$tmp/in.$sig"  # stdin stays open: the chat waits for input
  child=""
  for _ in $(seq 1 300); do
    child=$(pgrep -P "$chat_pid" || true)
    [ -n "$child" ] && grep -q "chatting with" "$tmp/sig.err" && break
    sleep 0.1
  done
  [ -n "$child" ] || { cat "$tmp/sig.err"; fail "--chat started no server ($sig)"; }
  kill -s "$sig" "$chat_pid"
  wait "$chat_pid" 2>/dev/null || true
  exec {keep}>&-
  for _ in $(seq 1 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$child" 2>/dev/null && { kill "$child"; fail "the server outlived its chat after SIG$sig"; }
done

# 6. A second model (qwen2, BPE vocabulary), packed without --runtime: hearth-static beside hearth
#    is the default program when it was built. Renamed, it keeps its model's name.
"$hearth" pack -m "$shared/models/tiny-qwen2-Q8_0.gguf" -o "$tmp/qwen" 2>"$tmp/q.err" >/dev/null || { cat "$tmp/q.err"; fail "pack qwen"; }
if $is_static; then
  grep -q "dynamically linked" "$tmp/q.err" && fail "the default runtime is not hearth-static"
  readelf -l "$tmp/qwen" | grep -q INTERP && fail "default pack needs a dynamic loader"
fi
mv "$tmp/qwen" "$tmp/assistant"
start_server "$tmp/assistant" --port 0
curl -fsS "$URL/v1/models" | grep -q '"tiny-qwen2-Q8_0"' || fail "model name not taken from the manifest: $(curl -fsS "$URL/v1/models")"
curl -fsS "$URL/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"model":"tiny-qwen2-Q8_0","messages":[{"role":"user","content":"hi"}],"max_tokens":4}' | grep -q '"choices"' || fail "qwen pack chat"
stop_last

# 7. Damaged files are refused with a clear message, before serving anything.
cp "$bot" "$tmp/tampered"
off=$(node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(m.layout.gguf_offset+m.layout.gguf_size-100)' "$tmp/info.json")
printf '\xff' | dd of="$tmp/tampered" bs=1 seek="$off" conv=notrunc status=none
set +e
"$tmp/tampered" --server --port 0 >/dev/null 2>"$tmp/t.err"; rc=$?
set -e
[ $rc = 1 ] && grep -q "tampered hearth pack: the model's sha256" "$tmp/t.err" || { cat "$tmp/t.err"; fail "tampered pack ran (rc $rc)"; }
head -c $(( $(stat -c %s "$bot") - 5000 )) "$bot" >"$tmp/truncated"; chmod +x "$tmp/truncated"
set +e
"$tmp/truncated" >/dev/null 2>"$tmp/tr.err"; rc=$?
set -e
[ $rc = 1 ] && grep -q "truncated hearth pack" "$tmp/tr.err" || { cat "$tmp/tr.err"; fail "truncated pack not refused (rc $rc)"; }
cp "$bot" "$tmp/appended"; printf 'trailing junk' >>"$tmp/appended"
set +e
"$tmp/appended" >/dev/null 2>"$tmp/ap.err"; rc=$?
set -e
[ $rc = 1 ] && grep -q "13 bytes appended after its end" "$tmp/ap.err" || { cat "$tmp/ap.err"; fail "appended bytes not reported as such (rc $rc)"; }
set +e
"$hearth" pack --verify "$model" 2>"$tmp/n.err"; rc1=$?
"$hearth" pack --info /bin/sh 2>>"$tmp/n.err"; rc2=$?
set -e
[ $rc1 = 1 ] && [ $rc2 = 1 ] || fail "non-packs accepted ($rc1, $rc2)"
grep -q "is a GGUF model, not a hearth pack" "$tmp/n.err" || fail "GGUF message: $(cat "$tmp/n.err")"
grep -q "not a hearth pack" "$tmp/n.err" || fail "program message"
echo "ok"
