#!/usr/bin/env bash
# `hearth embed` on the encoder models ($1 = hearth): the vectors equal llama.cpp's golden
# embeddings, stdin lines work, and generating with an embedding model is a clear error.
set -u
bin="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/tiny-bert-F32.gguf golden/tiny-bert-F32.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for m in tiny-bert-F32 tiny-nomic-bert-F32; do
  python3 - "$bin" "$shared" "$m" <<'PY' || fail "$m embeddings differ from the golden"
import json, subprocess, sys
bin, shared, m = sys.argv[1:]
g = json.load(open(f"{shared}/golden/{m}.json"))
args = [bin, "embed", "-m", f"{shared}/models/{m}.gguf", "--json"]
for p in g["prompts"]:
    args += ["-p", p["text"]]
out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
assert out["dim"] == g["n_embd"], out["dim"]
for got, want in zip(out["data"], g["prompts"]):
    cos = sum(a * b for a, b in zip(got["embedding"], want["embedding"]))
    assert cos > 0.9999 and got["tokens"] == len(want["tokens"]), (want["text"], cos)
PY
done
printf 'first line\nsecond line\n' | "$bin" embed -m "$shared/models/tiny-bert-F32.gguf" >"$tmp/lines" || fail "embed from stdin"
[ "$(wc -l <"$tmp/lines")" -eq 2 ] || fail "expected one vector per stdin line"
[ "$(head -1 "$tmp/lines" | wc -w)" -eq 64 ] || fail "expected 64 numbers per line"
"$bin" embed -m "$shared/models/tiny-bert-F32.gguf" </dev/null 2>"$tmp/err"; [ $? -eq 2 ] || fail "empty input not a usage error (2)"
grep -q "nothing to embed" "$tmp/err" || fail "empty input message"
"$bin" run -m "$shared/models/tiny-bert-F32.gguf" -p "hi" -n 4 2>"$tmp/err"; [ $? -eq 1 ] || fail "run on an embedding model not exit 1"
grep -q "embedding model" "$tmp/err" || { cat "$tmp/err"; fail "run error does not say it is an embedding model"; }
echo ok
