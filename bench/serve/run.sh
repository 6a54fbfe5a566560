#!/usr/bin/env bash
# Serving benchmark: hearth serve on the llama-3.2-1b-shaped Q4_0 bench model (synthesised once
# into $HEARTH_BENCH_DIR), 1/4/8 concurrent streams, like llama-server's figures in
# ../shared/bench/README.md (-t 2 -c 4096 -np 8).
# Usage: bench/serve/run.sh [path/to/hearth] [levels, default 1,4,8]   (extra serve flags: $HEARTH_SERVE_ARGS)
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
hearth="${1:-$src/build/release/hearth}"
levels="${2:-1,4,8}"
dir="${HEARTH_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-bench}"
mkdir -p "$dir"
model="$dir/llama-3.2-1b-q4_0.gguf"
[ -f "$model" ] || "$hearth" synth --arch llama --preset llama-3.2-1b --type q4_0 --seed 1 -o "$model"
log="$dir/serve.log"
# shellcheck disable=SC2086  # HEARTH_SERVE_ARGS is a list of flags
"$hearth" serve -m "$model" --port 0 -t 2 -c 4096 --parallel 8 ${HEARTH_SERVE_ARGS:-} >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
url=""
for _ in $(seq 600); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)"
  [ -n "$url" ] && curl -fs "$url/health" >/dev/null 2>&1 && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$log" >&2; exit 1; }
node "$src/bench/serve/serve_bench.mjs" "$url" llama-3.2-1b-q4_0 "$levels"
