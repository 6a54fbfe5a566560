#!/usr/bin/env bash
# `hearth inspect` on a real model (text and JSON) and on broken files (exit 1, one-line error).
set -euo pipefail
hearth="$1"
shared="${HEARTH_SHARED:-${HEARTH_SOURCE_DIR:-$(dirname "$0")/../..}/../shared}"
model="$shared/models/stories260K.gguf"
if [ ! -f "$model" ]; then
  if [ "${CI:-}" = "true" ]; then echo "missing $model (required in CI)"; exit 1; fi
  echo "skip: $model not found"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect FILE PATTERN: the file must contain the (grep -E) pattern
  grep -Eq -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "no match for '$2'"; }
}

# Text output.
"$hearth" inspect "$model" >"$tmp/out.txt" || fail "inspect exited $?"
expect "$tmp/out.txt" '^.*stories260K\.gguf: GGUF v3, 48 tensors, '
expect "$tmp/out.txt" '^  architecture +llama$'
expect "$tmp/out.txt" '^Hyper-parameters \(llama\.\*\)$'
expect "$tmp/out.txt" '^  block_count +5$'
expect "$tmp/out.txt" '^  embedding_length +64$'
expect "$tmp/out.txt" '^  attention\.layer_norm_rms_epsilon +1e-05$'
expect "$tmp/out.txt" '^  vocab size +512$'
expect "$tmp/out.txt" '^  bos_token_id +1$'
expect "$tmp/out.txt" '^  tokenizer\.ggml\.scores +\[512 items of float32\]$'
expect "$tmp/out.txt" '^  token_embd\.weight +f32 +64 x 512 +131,072 '
expect "$tmp/out.txt" '^  parameters +[0-9,]+$'

# --no-tensors drops the table but keeps the totals.
"$hearth" inspect --no-tensors "$model" >"$tmp/short.txt"
if grep -q 'token_embd.weight' "$tmp/short.txt"; then fail "--no-tensors still lists tensors"; fi
expect "$tmp/short.txt" '^Totals$'

# JSON output: one object with everything.
"$hearth" inspect --json "$model" >"$tmp/out.json"
python3 - "$tmp/out.json" <<'PY'
import json, math, sys
j = json.load(open(sys.argv[1]))
assert j["version"] == 3 and j["architecture"] == "llama", j
assert j["hyperparameters"]["block_count"] == 5
assert j["hyperparameters"]["embedding_length"] == 64
assert j["tokenizer"]["vocab_size"] == 512 and j["tokenizer"]["model"] == "llama"
assert j["metadata"]["tokenizer.ggml.tokens"] == {"type": "array", "elem_type": "string", "length": 512}
assert len(j["tensors"]) == 48 == j["totals"]["tensors"]
t = {x["name"]: x for x in j["tensors"]}["token_embd.weight"]
assert t["dims"] == [64, 512] and t["type"] == "f32" and t["bytes"] == 131072, t
assert j["totals"]["parameters"] == sum(math.prod(x["dims"]) for x in j["tensors"])
PY

# A tensor type from a newer llama.cpp (an id hearth does not know): listed by its id, the rest
# of the file shown, a note on stderr, exit 0.
python3 - "$model" "$tmp/newtype.gguf" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
name = b"token_embd.weight"
at = b.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
n_dims = struct.unpack_from("<I", b, at)[0]
struct.pack_into("<I", b, at + 4 + 8 * n_dims, 45)
open(sys.argv[2], "wb").write(b)
PY
"$hearth" inspect "$tmp/newtype.gguf" >"$tmp/newtype.txt" 2>"$tmp/newtype.err" || fail "inspect of an unknown type exited $?"
expect "$tmp/newtype.txt" '^  token_embd\.weight +unknown type id 45 +64 x 512 +\? '
expect "$tmp/newtype.txt" '^  output\.weight +f32 '
expect "$tmp/newtype.txt" '^  block_count +5$'
expect "$tmp/newtype.err" 'tensor type ids \[45\] are unknown to hearth'
"$hearth" inspect --json "$tmp/newtype.gguf" 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)
t = {x["name"]: x for x in j["tensors"]}["token_embd.weight"]
assert t["type"] == "unknown type id 45" and t["bytes"] is None, t
assert j["totals"]["unknown_type_ids"] == [45] and len(j["tensors"]) == 48, j["totals"]
' || fail "inspect --json of an unknown type"
# Running it is refused, naming the type.
rc=0; "$hearth" run -m "$tmp/newtype.gguf" -p hi -n 1 2>"$tmp/e" >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "run of an unknown type: exit $rc"
expect "$tmp/e" 'unknown tensor type id 45'

# Broken inputs: exit 1 and a single line naming the problem.
head -c 1000 "$model" >"$tmp/truncated.gguf"
rc=0; "$hearth" inspect "$tmp/truncated.gguf" >"$tmp/o" 2>"$tmp/e" || rc=$?
[ "$rc" = 1 ] || fail "truncated file: exit $rc"
[ "$(wc -l <"$tmp/e")" = 1 ] || fail "truncated file: error is not one line"
expect "$tmp/e" 'truncated\.gguf: .* at byte [0-9]+: '

echo "hello" >"$tmp/text.gguf"
rc=0; "$hearth" inspect "$tmp/text.gguf" 2>"$tmp/e" || rc=$?
[ "$rc" = 1 ] || fail "text file: exit $rc"
expect "$tmp/e" 'magic at byte 0: not a GGUF file'

rc=0; "$hearth" inspect "$tmp/missing.gguf" 2>"$tmp/e" || rc=$?
[ "$rc" = 1 ] || fail "missing file: exit $rc"
expect "$tmp/e" 'missing\.gguf: No such file'

rc=0; "$hearth" inspect 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "no argument: exit $rc (expected usage error 2)"
echo "inspect e2e ok"
