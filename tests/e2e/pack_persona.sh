#!/usr/bin/env bash
# hearth pack --system-file --memory ($1 = hearth): a single-file assistant with a persona and
# the memories of a bundle made with `hearth memory export`, and the keys and values of its
# system prompt computed at pack time. Checks, with curl against the pack's server: the first
# request reuses every precomputed token (usage.prompt_tokens_details.cached_tokens), its greedy
# reply equals a pack built with --no-precompute, a request with its own system message does not
# get the persona; --info and --verify report the KV part, and a changed byte in it is caught.
set -euo pipefail
hearth="$1"
static="$(dirname "$hearth")/hearth-static"
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
shared="${HEARTH_SHARED:-$src/../shared}"
if [ ! -f "$shared/models/stories260K.gguf" ]; then
  [ "${CI:-}" = "true" ] && { echo "shared models missing (required in CI)"; exit 1; }
  echo "skip: shared models not found"; exit 77
fi
if [ -x "$static" ]; then runtime="$static"; else runtime="$hearth"; fi
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export HEARTH_HOME="$tmp/home"
cd "$tmp"

"$hearth" memory add "The user's name is Ada and she likes mint tea" --importance 0.9 > /dev/null
"$hearth" memory add "Ada is writing a novel about owls" > /dev/null
"$hearth" memory export -o bundle.json
printf 'You are Storyteller, a kind narrator of short tales about animals.\n' > persona.txt
args="--ctx-size 512 --parallel 1"
"$hearth" pack -m "$shared/models/stories260K.gguf" -o teller --runtime "$runtime" --system-file persona.txt \
  --memory bundle.json --args "$args" 2> pack.err > /dev/null
grep -q "system prompt (.* tokens, 2 memories) precomputed" pack.err || fail "pack: $(cat pack.err)"
"$hearth" pack -m "$shared/models/stories260K.gguf" -o plain --runtime "$runtime" --system-file persona.txt \
  --memory bundle.json --args "$args" --no-precompute 2> /dev/null > /dev/null

./teller --info --json > info.json
tokens=$(node -e 'const m=require("./info.json"); if (!m.kv || m.memories !== 2 || !m.system.includes("Storyteller") || !m.system.includes("mint tea")) process.exit(1); console.log(m.kv.tokens)') \
  || fail "manifest: $(cat info.json)"
[ "$tokens" -gt 20 ] || fail "only $tokens precomputed tokens"
./teller --info | grep -q "precomputed     $tokens tokens of the system prompt" || fail "--info text"
./plain --info --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.exit(JSON.parse(s).kv===null?0:1))' \
  || fail "--no-precompute still stored keys and values"
./teller --verify > /dev/null || fail "--verify of a good pack"

# serve PACK: prints its URL; sets URL.
serve() {
  : > "$1.out"  # exists before the loop below reads it (the redirect happens in the child, later)
  "./$1" --server --port 0 > "$1.out" 2> "$1.err" &
  pids+=($!)
  URL=""
  for _ in $(seq 1 300); do
    URL=$(sed -n 's/^hearth: serving .* at \(http[^ ]*[^/ ]\)\/*$/\1/p' "$1.out" | head -1)
    [ -n "$URL" ] && curl -fsS "$URL/health" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$1.err"; fail "$1 did not start"
}
ask() {  # ask URL BODY -> "cached_tokens<TAB>content"
  curl -fsS "$1/v1/chat/completions" -H 'content-type: application/json' -d "$2" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.usage.prompt_tokens_details.cached_tokens+"\t"+j.choices[0].message.content)})'
}
body='{"messages":[{"role":"user","content":"Tell me about owls"}],"max_tokens":32,"temperature":0}'
serve teller
first=$(ask "$URL" "$body")
[ "${first%%$'\t'*}" = "$tokens" ] || fail "the first request reused ${first%%$'\t'*} tokens, not the $tokens precomputed"
# A request with its own system message is not given the persona (its whole prompt is shorter).
own=$(curl -fsS "$URL/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"}],"max_tokens":4,"temperature":0}' |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).usage.prompt_tokens))')
[ "$own" -lt "$tokens" ] || fail "a request with its own system message has $own prompt tokens: the persona was added"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
serve plain
cold=$(ask "$URL" "$body")
[ "${cold%%$'\t'*}" = 0 ] || fail "the plain pack reused ${cold%%$'\t'*} tokens"
[ "${first#*$'\t'}" = "${cold#*$'\t'}" ] || fail "replies differ: '${first#*$'\t'}' vs '${cold#*$'\t'}'"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'

# One changed byte in the KV part: --verify names it.
off=$(node -e 'console.log(require("./info.json").kv.offset + 100)')
printf '\x7f' | dd of=teller bs=1 seek="$off" conv=notrunc 2> /dev/null
if ./teller --verify > verify.out 2>&1; then fail "--verify accepted a changed KV part"; fi
grep -q "precomputed KV part: damaged or tampered" verify.out || fail "--verify said: $(cat verify.out)"
echo "ok: persona pack"
