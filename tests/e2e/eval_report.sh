#!/usr/bin/env bash
# `hearth eval report` end to end: two real runs (stories260K and tiny-llama on a small MMLU
# slice plus TruthfulQA), one self-contained HTML report of both, its structure and values, bad
# run arguments, and (with chromium and web/node_modules) the report drawn in headless Chromium.
set -u
bin="$1"
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf eval-data/mmlu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HEARTH_HOME="$tmp/home"
fail() { echo "FAIL: $*"; exit 1; }

# Two small runs: two questions per MMLU subject (zero-shot, to stay fast) and two TruthfulQA ones.
for m in stories260K tiny-llama-Q8_0; do
  "$bin" eval run --task mmlu,truthfulqa_mc1 --model "local:$shared/models/$m.gguf" --data-dir "$shared/eval-data" \
    --limit 2 --num-fewshot 0 --no-cache --log-samples --json >"$tmp/$m.json" 2>"$tmp/$m.err" || { cat "$tmp/$m.err"; fail "eval run $m"; }
done
runs=$(ls -d "$HEARTH_HOME"/eval/runs/*/ | sort)
[ "$(echo "$runs" | wc -l)" -eq 2 ] || fail "expected 2 runs under \$HEARTH_HOME/eval/runs, got: $runs"
run_a=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_dir"])' "$tmp/stories260K.json")
run_b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_dir"])' "$tmp/tiny-llama-Q8_0.json")

"$bin" eval report "$run_a" "$run_b/results.json" -o "$tmp/report.html" >"$tmp/rep.out" 2>&1 || { cat "$tmp/rep.out"; fail "eval report"; }
grep -q "report: $tmp/report.html (2 runs" "$tmp/rep.out" || { cat "$tmp/rep.out"; fail "report summary line"; }
python3 - "$tmp/report.html" "$run_a/results.json" "$run_b/results.json" <<'PY' || fail "report structure"
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
runs = [json.load(open(p)) for p in sys.argv[2:]]
m = re.search(r'<script type="application/json" id="hearth-eval-data">(.*?)</script>', html, re.S)
assert m, "no data block"
data = json.loads(m.group(1))
assert data["format"] == "hearth-eval-report" and len(data["runs"]) == 2, data.keys()
for got, want in zip(data["runs"], runs):
    assert got["config"]["model"] == want["config"]["model"]
    assert "configs" not in got, "task configs should be left out"
    assert set(got["results"]) == set(want["results"]) and len(got["results"]) == 58, len(got["results"])  # 57 subjects + truthfulqa
    for task, res in want["results"].items():
        for k, v in res.items():
            assert got["results"][task][k] == v, (task, k)
    assert got["groups"]["mmlu"]["acc,none"] == want["groups"]["mmlu"]["acc,none"]
    assert len(got["group_subtasks"]["mmlu"]) == 57
# The sample viewer's data: every task's logged samples (2 each here, under the default 20),
# as the viewer shows them: the exact prompt, the choices, what was scored.
for got in data["runs"]:
    assert set(got["samples"]) == set(got["results"]), set(got["results"]) - set(got["samples"])
    page = got["samples"]["mmlu_anatomy"]
    assert page["total"] == 2 and len(page["samples"]) == 2, page
    s0 = page["samples"][0]
    assert s0["prompt"].endswith("Answer:") and len(s0["choices"]) == 4 and "acc" in s0["scores"], s0
# Stories vs tiny-llama, side by side, in the title.
assert "<title>hearth eval report: stories260K.gguf, tiny-llama-Q8_0.gguf</title>" in html
# Self-contained: one inline script with the chart code, no src/href/url()/@import anywhere.
assert re.search(r"<script>.*renderEvalView|<script>.*hec-bar", html, re.S), "chart script not inlined"
for pat in [r"<script[^>]+src=", r"<link\b", r"\bhref\s*=", r"url\(\s*['\"]?(https?:)?//", r"@import", r"<iframe", r"<img\b"]:
    assert not re.search(pat, html, re.I), "external reference: " + pat
assert "default-src 'none'" in html, "no CSP"
# The only URL text is the SVG namespace the chart code creates elements in.
urls = set(re.findall(r"https?://[^\s\"'`)<]+", html))
assert urls <= {"http://www.w3.org/2000/svg"}, urls
PY

"$bin" eval report "$run_b" --title "one run" --samples 1 -o "$tmp/one.html" --json >"$tmp/one.json" || fail "eval report --json"
grep -o '"total":2,"offset":0,"samples":\[{[^]]*' "$tmp/one.html" | head -1 | grep -q '"doc_id":0' || fail "--samples 1 embeds the first sample"
"$bin" eval report "$run_b" --samples 0 -o "$tmp/none.html" >/dev/null || fail "eval report --samples 0"
! grep -q '"samples":{' "$tmp/none.html" || fail "--samples 0 still embeds samples"
python3 - "$tmp/one.json" "$tmp/one.html" "$run_b" <<'PY' || fail "report --json output"
import json, os, sys
j = json.load(open(sys.argv[1]))
assert j["output"] == sys.argv[2] and j["bytes"] == os.path.getsize(sys.argv[2]), j
assert j["runs"] == [os.path.basename(sys.argv[3].rstrip("/"))], j
assert "<title>one run</title>" in open(sys.argv[2]).read()
PY

# Bad arguments: clear errors naming the path, exit 1; no run at all is bad usage (2).
"$bin" eval report "$tmp/nope" -o "$tmp/x.html" >"$tmp/e1" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "$tmp/nope/results.json\|$tmp/nope: no such run" "$tmp/e1" || { cat "$tmp/e1"; fail "missing run dir: rc=$rc"; }
mkdir -p "$tmp/bad" && echo '{"results": 3' >"$tmp/bad/results.json"
"$bin" eval report "$run_a" "$tmp/bad" -o "$tmp/x.html" >"$tmp/e2" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "$tmp/bad/results.json: not a results file" "$tmp/e2" || { cat "$tmp/e2"; fail "malformed results: rc=$rc"; }
echo '{"versions": {}}' >"$tmp/bad/results.json"
"$bin" eval report "$tmp/bad" -o "$tmp/x.html" >"$tmp/e3" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q 'no "results" object' "$tmp/e3" || { cat "$tmp/e3"; fail "results without results: rc=$rc"; }
[ ! -e "$tmp/x.html" ] || fail "a failed report still wrote its file"
"$bin" eval report >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "no runs: expected exit 2, got $rc"
"$bin" eval report "$run_a" -o "$tmp/no/such/dir/r.html" >"$tmp/e4" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "$tmp/no/such/dir/r.html" "$tmp/e4" || { cat "$tmp/e4"; fail "unwritable output: rc=$rc"; }

# Drawn in a real browser: charts, error bars, subjects, two runs side by side, no network.
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ] && [ -d "$src/web/node_modules/playwright-core" ]; then
  mkdir -p "${HEARTH_SCREENSHOTS:-$src/build/web-screenshots}"
  CHROMIUM="$chromium" node "$src/tests/web/eval_report.mjs" "$tmp/report.html" 2 \
    "${HEARTH_SCREENSHOTS:-$src/build/web-screenshots}/eval-report.png" || fail "report in Chromium"
elif [ "${CI:-}" = "true" ]; then
  fail "chromium ($chromium) or web/node_modules missing (required in CI)"
else
  echo "note: browser check skipped (no chromium at $chromium or no web/node_modules)"
fi
echo "ok"
