#!/usr/bin/env bash
# Time to first token of a pack's first reply, with the system prompt's keys and values
# precomputed at pack time (`hearth pack --system-file`) and without (`--no-precompute`).
#
#   bench/pack/persona_ttft.sh BUILD_DIR [RUNS] [MODEL]
#
# MODEL defaults to a llama-3.2-1b-shaped Q4_0 made with `hearth synth` (in $HEARTH_BENCH_DIR,
X
# server is started afresh and one streamed chat request is sent; the time from sending it to
# the first content chunk is the TTFT. Prints one JSON line per variant (median and all runs).
set -euo pipefail
build="${1:?usage: persona_ttft.sh BUILD_DIR [RUNS] [MODEL]}"
runs="${2:-3}"
hearth="$build/hearth"
runtime="$build/hearth-static"
[ -x "$runtime" ] || runtime="$hearth"
source "$(dirname "$0")/bench_dir.sh"
synth_model "${3:-}"
persona="$dir/persona.txt"
: > "$persona"
for i in $(seq 1 12); do
  echo "Rule $i: you are Wren, a patient assistant for a small bakery. You answer questions about opening hours, bread, cakes, allergens and orders, briefly and warmly, and you never invent prices or promise deliveries you cannot confirm." >> "$persona"
done
"$hearth" pack -m "$model" -o "$dir/wren" --runtime "$runtime" --system-file "$persona" --args "--ctx-size 2048 --parallel 1" >&2
"$hearth" pack -m "$model" -o "$dir/wren-plain" --runtime "$runtime" --system-file "$persona" --no-precompute \
  --args "--ctx-size 2048 --parallel 1" >&2
cat "$model" "$dir/wren" "$dir/wren-plain" > /dev/null  # warm page cache

ttft() {  # PACK -> ms to the first content chunk of the first request
  "$1" --server --port 0 > "$dir/out" 2> "$dir/err" &
  local pid=$! url=""
  for _ in $(seq 1 600); do
    url=$(sed -n 's/^hearth: serving .* at \(http[^ ]*[^/ ]\)\/*$/\1/p' "$dir/out" | head -1)
    [ -n "$url" ] && curl -fsS "$url/health" > /dev/null 2>&1 && break
    sleep 0.1
  done
  node -e '
    const t0 = performance.now();
    fetch(process.argv[1] + "/v1/chat/completions", {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({stream: true, max_tokens: 8, messages: [{role: "user", content: "When do you open on Sundays?"}]})})
    .then(async (r) => {
      const rd = r.body.getReader(); const dec = new TextDecoder(); let buf = "";
      for (;;) { const {value, done} = await rd.read(); if (done) break; buf += dec.decode(value);
        if (/"content":"[^"]/.test(buf)) { console.log((performance.now() - t0).toFixed(0)); process.exit(0); } }
      console.log("-1"); });' "$url"
  kill "$pid"; wait "$pid" 2> /dev/null || true
}
tokens=$("$dir/wren" --info --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).kv.tokens))')
for variant in wren wren-plain; do
  all=()
  for _ in $(seq 1 "$runs"); do all+=("$(ttft "$dir/$variant")"); done
  sorted=($(printf '%s\n' "${all[@]}" | sort -n))
  printf '{"pack":"%s","precomputed_tokens":%s,"ttft_ms_median":%s,"ttft_ms":[%s]}\n' "$variant" \
    "$([ "$variant" = wren ] && echo "$tokens" || echo 0)" "${sorted[$(( runs / 2 ))]}" "$(IFS=,; echo "${all[*]}")"
done
