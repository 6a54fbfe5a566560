#!/usr/bin/env bash
# hearth eval sharded over a pool of endpoints from the router config: two `hearth serve`
# processes on stories260K plus one dead endpoint. The pooled run's per-question log-likelihoods
# equal a single-endpoint run's exactly, both live servers served requests (their /metrics), and
# the dead endpoint's requests went to the others.
set -u
bin="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf eval-data/truthfulqa
model="$shared/models/stories260K.gguf"
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
export HEARTH_HOME="$tmp/home"
fail() { echo "FAIL: $*"; for f in "$tmp"/serve*.log; do [ -f "$f" ] && tail -3 "$f"; done; exit 1; }

start_server() {  # $1: log name; the server's URL goes to $tmp/$1.url
  "$bin" serve -m "$model" --port 0 --parallel 2 >"$tmp/$1.log" 2>&1 &
  pids+=($!)
  local url=""
  for _ in $(seq 1 100); do
    url=$(grep -o 'serving .* at http[^ ]*' "$tmp/$1.log" | head -1 | sed 's/.* at //')
    [ -n "$url" ] && grep -q 'model ready' "$tmp/$1.log" && break
    url=""
    sleep 0.1
  done
  [ -n "$url" ] || fail "serve $1 did not start"
  echo "${url%/}" >"$tmp/$1.url"
}
# Not in $(...): the server must be this shell's child so the trap can stop it.
start_server serve1
start_server serve2
url1=$(cat "$tmp/serve1.url")
url2=$(cat "$tmp/serve2.url")
name=$(grep -o 'serving [^ ]*' "$tmp/serve1.log" | head -1 | cut -d' ' -f2)
# A port nobody listens on: connecting is refused at once.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat >"$tmp/router.yaml" <<YAML
providers:
  hs1: {type: openai, base_url: $url1/v1, remote: false}
  hs2: {type: openai, base_url: $url2/v1, remote: false}
  gone: {type: openai, base_url: http://127.0.0.1:$dead/v1, remote: false, connect_timeout_ms: 500}
pools:
  both:
    endpoints:
      - {model: 'hs1:$name', concurrency: 2}
      - {model: 'hs2:$name', concurrency: 2}
      - {model: 'gone:$name', concurrency: 2}
retry: {max_attempts: 2, retries_per_model: 0, backoff_ms: 10}
YAML

common=(--task truthfulqa_mc1 --data-dir "$shared/eval-data" --limit 16 --no-cache --log-samples --json --config "$tmp/router.yaml")
"$bin" eval run "${common[@]}" --model "hs1:$name" --output "$tmp/single" >"$tmp/single.json" 2>"$tmp/single.err" \
  || { tail -3 "$tmp/single.err"; fail "single-endpoint run"; }
metric() { curl -s "$1/metrics" | awk '$1=="hearth_requests_total"{print $2}'; }
before1=$(metric "$url1"); before2=$(metric "$url2")
"$bin" eval run "${common[@]}" --model "pool:both" --output "$tmp/pool" >"$tmp/pool.json" 2>"$tmp/pool.err" \
  || { tail -3 "$tmp/pool.err"; fail "pooled run"; }
grep -q "gone:$name taken out" "$tmp/pool.err" || fail "the dead endpoint was not reported"
after1=$(metric "$url1"); after2=$(metric "$url2")
python3 - "$before1" "$after1" "$before2" "$after2" <<'PY' || fail "both servers should have served the pooled run"
import sys
b1, a1, b2, a2 = map(float, sys.argv[1:])
assert a1 - b1 > 0 and a2 - b2 > 0, (b1, a1, b2, a2)
print("pooled requests: hs1", int(a1 - b1), "hs2", int(a2 - b2))
PY

python3 - "$tmp/single.json" "$tmp/pool.json" <<'PY' || fail "pooled and single-endpoint results differ"
import json, sys
runs = [json.load(open(p)) for p in sys.argv[1:]]
accs = [r["results"]["truthfulqa_mc1"]["acc,none"] for r in runs]
assert accs[0] == accs[1], accs
def lls(r):
    return sorted((s["doc_id"], [x[0] for x in s["resps"]]) for s in map(json.loads, open(r["run_dir"] + "/samples_truthfulqa_mc1.jsonl")))
a, b = lls(runs[0]), lls(runs[1])
assert len(a) == 16 and a == b, "per-question log-likelihoods differ"
eps = {e["model"]: e for e in runs[1]["config"]["model_args"]["endpoints"]}
assert all(e["requests"] > 0 for m, e in eps.items() if not m.startswith("gone:")), eps
assert [e for m, e in eps.items() if m.startswith("gone:")][0]["error"], eps
print("acc", accs[0], "identical over", len(a), "questions")
PY

# A pool name the config does not define is refused with the names it does define.
"$bin" eval run "${common[@]}" --model "pool:nope" >/dev/null 2>"$tmp/nope.err" && fail "unknown pool accepted"
grep -q "no pool 'nope' (pools: both)" "$tmp/nope.err" || { cat "$tmp/nope.err"; fail "unknown pool message"; }
echo "ok"
