#!/usr/bin/env bash
# Evaluation throughput on the tiny shared model: WikiText-2 perplexity (llama-perplexity's
# method at -c 128 and 256; reference 227.3035 / 240.1370 at 3,640 tokens/s) and MMLU
# questions/s with and without prefix reuse. Usage: bench/eval/run.sh [path/to/hearth] [mmlu-limit]
set -eu
bin="${1:-build/release/hearth}"
limit="${2:-2}"
shared="${HEARTH_SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}"
model="$shared/models/stories260K.gguf"
data="$shared/eval-data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HEARTH_HOME="$tmp/home"

sed 's/^rolling_context: 128/rolling_context: 256/; s/^task: wikitext/task: wikitext_c256/' >"$tmp/w256.yaml" <<YAML
task: wikitext
dataset_path: $data/wikitext-2/test.txt
output_type: loglikelihood_rolling
doc_to_text: ""
doc_to_target: text
rolling_method: llama_perplexity
rolling_context: 128
metric_list:
  - metric: token_perplexity
YAML

secs() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.2f}")' "$1" "$2"; }
now() { date +%s.%N; }
ppl() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(next(iter(r.values()))["token_perplexity,none"])' "$1"; }

t0=$(now); "$bin" eval run --task wikitext --model "local:$model" --data-dir "$data" --no-cache --output "$tmp/o" --json >"$tmp/w128.json" 2>/dev/null; t1=$(now)
echo "wikitext -c 128: ppl $(ppl "$tmp/w128.json"), $(secs "$t0" "$t1") s for 792,704 tokens (reference 227.3035, 218 s)"
t0=$(now); "$bin" eval run --task "$tmp/w256.yaml" --model "local:$model" --no-cache --output "$tmp/o" --json >"$tmp/w256.json" 2>/dev/null; t1=$(now)
echo "wikitext -c 256: ppl $(ppl "$tmp/w256.json"), $(secs "$t0" "$t1") s (reference 240.1370)"
for mode in reuse no-reuse; do
  flag=""; [ "$mode" = no-reuse ] && flag="--no-prefix-reuse"
  t0=$(now); "$bin" eval run --task mmlu --limit "$limit" --model "local:$model" --data-dir "$data" --no-cache $flag \
    --output "$tmp/o" --json >"$tmp/m.json" 2>/dev/null; t1=$(now)
  q=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sum(v["effective"] for v in j["n-samples"].values()))' "$tmp/m.json")
  echo "mmlu ($q questions, 5-shot) $mode: $(secs "$t0" "$t1") s, $(python3 -c "print(f'{$q / ($t1 - $t0):.1f}')") questions/s"
done
