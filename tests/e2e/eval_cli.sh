#!/usr/bin/env bash
# hearth eval end to end on stories260K: list, run (multiple choice with --limit and WikiText-2
# perplexity), results layout, per-sample logs, a rerun answered from the cache, compare.
set -u
bin="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf
model="$shared/models/stories260K.gguf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HEARTH_HOME="$tmp/home"
fail() { echo "FAIL: $*"; exit 1; }

"$bin" eval list | grep -q '^truthfulqa_mc1' || fail "eval list lacks truthfulqa_mc1"
"$bin" eval list --json | python3 -c 'import json,sys; n={t["name"] for t in json.load(sys.stdin)}; assert {"mmlu","wikitext","gsm8k"} <= n, n' \
  || fail "eval list --json"

"$bin" eval run --task truthfulqa_mc1 --model "local:$model" --data-dir "$shared/eval-data" --limit 12 \
  --log-samples --output "$tmp/runs" --json >"$tmp/a.json" 2>"$tmp/a.err" || { cat "$tmp/a.err"; fail "eval run"; }
grep -q 'eval \[' "$tmp/a.err" || fail "no progress bar on stderr"
run=$(python3 - "$tmp/a.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
r = j["results"]["truthfulqa_mc1"]
assert 0 <= r["acc,none"] <= 1 and isinstance(r["acc_stderr,none"], float), r
assert j["n-samples"]["truthfulqa_mc1"]["effective"] == 12, j["n-samples"]
assert j["config"]["limit"] == 12
assert j["model_name"].startswith("local:") and j["end_time"] >= j["start_time"] > 1.7e9, j
print(j["run_dir"])
PY
) || fail "results JSON layout"
[ -f "$run/results.json" ] || fail "no results.json in $run"
[ "$(wc -l <"$run/samples_truthfulqa_mc1.jsonl")" -eq 12 ] || fail "expected 12 logged samples"
python3 - "$run/samples_truthfulqa_mc1.jsonl" <<'PY' || fail "sample hashes"
import hashlib, json, sys
for line in open(sys.argv[1]):
    s = json.loads(line)
    h = lambda t: hashlib.sha256(t.encode()).hexdigest()
    assert s["prompt_hash"] == h(s["arguments"][0][0]), s["doc_id"]
    assert s["doc_hash"] == h(json.dumps(s["doc"], indent=2, ensure_ascii=False)), s["doc_id"]
    assert s["target_hash"] == h(str(s["target"])), s["doc_id"]
PY

# The rerun is answered from the cache with the same accuracy.
"$bin" eval run --task truthfulqa_mc1 --model "local:$model" --data-dir "$shared/eval-data" --limit 12 \
  --output "$tmp/runs" --json >"$tmp/b.json" 2>/dev/null || fail "rerun"
python3 - "$tmp/a.json" "$tmp/b.json" <<'PY' || fail "rerun not cached or different"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert b["config"]["cached_requests"] == b["config"]["requests"] > 0, b["config"]
assert a["results"]["truthfulqa_mc1"]["acc,none"] == b["results"]["truthfulqa_mc1"]["acc,none"]
PY

# WikiText-2 perplexity through the CLI: the built-in task's recipe on the file's first 20,000
# bytes, whose figure (209.25521) tests/eval/local_test.cpp stores; the whole file's comparison
# with llama-perplexity (227.30 at -c 128) is the `slow` test.
head -c 20000 "$shared/eval-data/wikitext-2/test.txt" >"$tmp/wiki20k.txt"
"$bin" eval show wikitext 2>/dev/null | sed "s|^dataset_path:.*|dataset_path: $tmp/wiki20k.txt|; s|^task: .*|task: wikitext_prefix|" >"$tmp/wikitext_prefix.yaml"
grep -q "dataset_path: $tmp/wiki20k.txt" "$tmp/wikitext_prefix.yaml" || fail "eval show wikitext --yaml"
"$bin" eval run --task "$tmp/wikitext_prefix.yaml" --model "local:$model" --no-cache \
  --output "$tmp/runs" --json >"$tmp/w.json" 2>"$tmp/w.err" || fail "wikitext run"
# The one long document reports its tokens as it goes, not only when it is done.
[ "$(grep -c 'perplexity \[.*tok/s' "$tmp/w.err")" -ge 3 ] || { cat "$tmp/w.err"; fail "no token progress for perplexity"; }
python3 - "$tmp/w.json" <<'PY' || fail "wikitext perplexity"
import json, sys
r = json.load(open(sys.argv[1]))["results"]["wikitext_prefix"]
p = r["token_perplexity,none"]
assert abs(p - 209.25521) / 209.25521 < 1e-4, p
assert r["bits_per_byte,none"] > 0 and r["word_perplexity,none"] > p
PY

"$bin" eval compare "$run" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_dir"])' "$tmp/w.json")" >"$tmp/cmp.txt" \
  || fail "compare"
grep -q 'truthfulqa_mc1' "$tmp/cmp.txt" && grep -q 'token_perplexity' "$tmp/cmp.txt" || { cat "$tmp/cmp.txt"; fail "compare table"; }
# A group run (truthfulqa holds truthfulqa_mc1) gets its own compare row; values carry ± stderr.
"$bin" eval run --task truthfulqa --model "local:$model" --data-dir "$shared/eval-data" --limit 12 \
  --output "$tmp/runs" --json >"$tmp/g.json" 2>/dev/null || fail "group run"
grun=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_dir"])' "$tmp/g.json")
"$bin" eval compare "$grun" >"$tmp/gcmp.txt" || fail "compare of a group run"
grep -q '^truthfulqa (group) *acc,none .* ± ' "$tmp/gcmp.txt" || { cat "$tmp/gcmp.txt"; fail "no group row with stderr"; }
"$bin" eval compare "$grun" --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
g = [r for r in rows if r["group"] and r["task"] == "truthfulqa" and r["metric"] == "acc,none"]
assert g and isinstance(g[0]["stderrs"][0], float), rows' || fail "compare --json group row"
"$bin" eval compare "$tmp/nope" >/dev/null 2>&1 && fail "compare of a missing run succeeded"
# A misspelt key in a task file stops the run with the key, file and line.
"$bin" eval show truthfulqa_mc1 | sed 's/^num_fewshot:/num_fewshots:/' >"$tmp/typo.yaml"
"$bin" eval run --task "$tmp/typo.yaml" --model "local:$model" --data-dir "$shared/eval-data" >/dev/null 2>"$tmp/t.err"
[ $? -eq 1 ] || fail "a task file with an unknown key did not exit 1"
grep -q "typo.yaml:[0-9]*: unknown key 'num_fewshots'" "$tmp/t.err" || { cat "$tmp/t.err"; fail "unknown key error"; }
"$bin" eval run --task "$tmp/missing.yaml" --model "local:$model" >/dev/null 2>"$tmp/m.err" && fail "missing task file accepted"
grep -q 'missing.yaml' "$tmp/m.err" || { cat "$tmp/m.err"; fail "error does not name the task file"; }
"$bin" eval show no_such_task >/dev/null 2>"$tmp/s.err"; [ $? -eq 1 ] || fail "show of an unknown task did not exit 1"
grep -q "no_such_task" "$tmp/s.err" || fail "show error does not name the task"
"$bin" eval show mmlu | grep -q '^  - mmlu_' || fail "show of a group lists no members"
echo "ok"
