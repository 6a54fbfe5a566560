#!/usr/bin/env bash
# Multiple-choice accuracy through the local engine equals the one through hearth serve's
# /v1/completions echo + logprobs path (a router config with an OpenAI-compatible provider at
# the server's URL), on TruthfulQA MC1 with stories260K: same accuracy, same choice per question.
set -u
bin="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf eval-data/truthfulqa
model="$shared/models/stories260K.gguf"
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
export HEARTH_HOME="$tmp/home"
fail() { echo "FAIL: $*"; [ -f "$tmp/serve.log" ] && tail -5 "$tmp/serve.log"; exit 1; }

"$bin" serve -m "$model" --port 0 >"$tmp/serve.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'serving .* at http[^ ]*' "$tmp/serve.log" | head -1 | sed 's/.* at //')
  [ -n "$url" ] && grep -q 'model ready' "$tmp/serve.log" && break
  kill -0 "$pid" 2>/dev/null || fail "serve exited"
  sleep 0.1
done
[ -n "$url" ] || fail "serve did not print its URL"
url=${url%/}
name=$(grep -o 'serving [^ ]*' "$tmp/serve.log" | head -1 | cut -d' ' -f2)
printf 'providers:\n  hs: {type: openai, base_url: %s/v1, remote: false}\n' "$url" >"$tmp/router.yaml"

common=(--task truthfulqa_mc1 --data-dir "$shared/eval-data" --limit 24 --no-cache --log-samples --json)
"$bin" eval run "${common[@]}" --model "local:$model" --output "$tmp/local" >"$tmp/local.json" 2>"$tmp/local.err" \
  || { cat "$tmp/local.err"; fail "local run"; }
"$bin" eval run "${common[@]}" --model "hs:$name" --config "$tmp/router.yaml" --concurrency 4 --output "$tmp/remote" \
  >"$tmp/remote.json" 2>"$tmp/remote.err" || { tail -3 "$tmp/remote.err"; fail "remote run"; }

python3 - "$tmp/local.json" "$tmp/remote.json" <<'PY' || fail "local and served results differ"
import json, sys
runs = [json.load(open(p)) for p in sys.argv[1:]]
accs = [r["results"]["truthfulqa_mc1"]["acc,none"] for r in runs]
assert accs[0] == accs[1], accs
def picks(r):
    out = []
    for line in open(r["run_dir"] + "/samples_truthfulqa_mc1.jsonl"):
        s = json.loads(line)
        lls = [x[0] for x in s["resps"]]
        out.append((s["doc_id"], lls.index(max(lls))))
        picks.ll.append(lls)
    return sorted(out)
picks.ll = []
a, b = picks(runs[0]), picks(runs[1])
assert a == b, (a, b)
# The log-likelihoods themselves agree closely (the same engine behind both paths).
n = len(picks.ll) // 2
for la, lb in zip(picks.ll[:n], picks.ll[n:]):
    for x, y in zip(la, lb):
        assert abs(x - y) <= 1e-3 * max(1.0, abs(x)), (la, lb)
print("acc", accs[0], "over", len(a), "questions")
PY
echo "ok"
