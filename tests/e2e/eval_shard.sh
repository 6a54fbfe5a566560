#!/usr/bin/env bash
# hearth eval run --shard I/N and hearth eval merge: three shards of GSM8K (sampled few-shot
# draws) and the TruthfulQA group on stories260K merge into exactly the unsharded run (results,
# groups, sample logs); missing, repeated and foreign shards and bad --shard values are refused.
set -u
bin="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf
model="local:$shared/models/stories260K.gguf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HEARTH_HOME="$tmp/home"
fail() { echo "FAIL: $*"; exit 1; }
run_dir() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_dir"])' "$1"; }
common=(--task gsm8k,truthfulqa --limit 7 --model "$model" --data-dir "$shared/eval-data" --log-samples)

# Each shard has its own cache, so no shard or the single run borrows another's answers.
for i in 0 1 2; do
  "$bin" eval run "${common[@]}" --shard "$i/3" --cache "$tmp/cache$i.sqlite" -o "$tmp/runs" --json \
    >"$tmp/s$i.json" 2>"$tmp/s$i.err" || { cat "$tmp/s$i.err"; fail "shard $i"; }
  [ -s "$(run_dir "$tmp/s$i.json")/answers.jsonl" ] || fail "shard $i wrote no answers.jsonl"
done
python3 - "$tmp"/s{0,1,2}.json <<'PY' || fail "shards do not split the documents"
import json, sys
n = [json.load(open(p))["n-samples"]["gsm8k"]["effective"] for p in sys.argv[1:]]
assert n == [3, 2, 2], n  # documents 0,3,6 / 1,4 / 2,5
PY
"$bin" eval run "${common[@]}" --no-cache -o "$tmp/single" --json >"$tmp/one.json" 2>/dev/null || fail "unsharded run"
"$bin" eval merge "$(run_dir "$tmp/s2.json")" "$(run_dir "$tmp/s0.json")" "$(run_dir "$tmp/s1.json")" \
  -o "$tmp/merged" --json >"$tmp/m.json" 2>"$tmp/m.err" || { cat "$tmp/m.err"; fail "merge"; }
python3 - "$tmp/one.json" "$tmp/m.json" <<'PY' || fail "merged run differs from the unsharded one"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("results", "groups", "n-samples", "n-shot", "versions"):
    assert a[k] == b[k], (k, a[k], b[k])
assert b["config"]["cached_requests"] == b["config"]["requests"] > 0, b["config"]
assert "shard" not in b["config"]
for t in ("gsm8k", "truthfulqa_mc1"):
    sa = open(f'{a["run_dir"]}/samples_{t}.jsonl').read()
    sb = open(f'{b["run_dir"]}/samples_{t}.jsonl').read()
    assert sa == sb and sa, t
PY

s0=$(run_dir "$tmp/s0.json"); s1=$(run_dir "$tmp/s1.json"); s2=$(run_dir "$tmp/s2.json")
"$bin" eval merge "$s0" "$s1" >/dev/null 2>"$tmp/e1" && fail "merge without shard 2 succeeded"
grep -q 'shard 2 of 3 missing' "$tmp/e1" || { cat "$tmp/e1"; fail "missing shard not named"; }
"$bin" eval merge "$s0" "$s1" "$s1" "$s2" >/dev/null 2>"$tmp/e2" && fail "a repeated shard was accepted"
grep -q 'shard 1 given twice' "$tmp/e2" || { cat "$tmp/e2"; fail "repeated shard not named"; }
"$bin" eval run --task truthfulqa_mc1 --limit 4 --model "$model" --data-dir "$shared/eval-data" --shard 1/3 \
  -o "$tmp/other" --json >"$tmp/o.json" 2>/dev/null || fail "other run's shard"
"$bin" eval merge "$s0" "$(run_dir "$tmp/o.json")" "$s2" >/dev/null 2>"$tmp/e3" && fail "a shard of another run was accepted"
grep -q "'tasks' differs" "$tmp/e3" || { cat "$tmp/e3"; fail "foreign shard not explained"; }
"$bin" eval merge "$(run_dir "$tmp/one.json")" >/dev/null 2>"$tmp/e4" && fail "an unsharded run was merged"
grep -q 'not a shard' "$tmp/e4" || { cat "$tmp/e4"; fail "unsharded run not explained"; }
for bad in 3/3 -1/2 1/0 x 1/2/3; do
  "$bin" eval run --task truthfulqa_mc1 --model "$model" --shard "$bad" >/dev/null 2>"$tmp/e5"
  [ $? -eq 2 ] || fail "--shard $bad was not a usage error (exit 2)"
  grep -q -- "--shard '$bad'" "$tmp/e5" || { cat "$tmp/e5"; fail "--shard $bad not named"; }
done
echo "ok"
