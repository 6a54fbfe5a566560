#!/usr/bin/env bash
# Startup-to-healthy and resident memory of a packed ~1 GB model vs. the same GGUF served plainly.
#
#   bench/pack/startup.sh BUILD_DIR [RUNS]
#
# Makes (once, in $HEARTH_BENCH_DIR, default /tmp/hearth-bench-pack) a llama-3.2-1b-shaped Q4_0
# GGUF with `hearth synth`, packs it with BUILD_DIR/hearth-static, warms the page cache, then for
# each run starts the server on a free port and times until GET /health answers 200 (the model is
# loaded), reads VmRSS, runs one short completion and reads VmRSS again. The first start of a pack
# verifies its sha256 and is reported separately; the timed runs are later starts. Prints JSON.
set -euo pipefail
build="${1:?usage: startup.sh BUILD_DIR [RUNS]}"
runs="${2:-5}"
hearth="$build/hearth"
static="$build/hearth-static"
[ -x "$static" ] || { echo "need $static (scripts/static-deps.sh, then build hearth-static)" >&2; exit 1; }
source "$(dirname "$0")/bench_dir.sh"
synth_model
pack="$dir/bot"
rm -rf "$HEARTH_HOME" "$pack"
"$hearth" pack -m "$model" -o "$pack" --runtime "$static" >&2
cat "$model" "$pack" >/dev/null  # warm page cache

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# one_run LABEL CMD...: prints "ms rss_ready_kb rss_after_kb"
one_run() {
  local out
  out=$(mktemp)
  local t0
  t0=$(now_ms)
  "$@" --port 0 --alias bench >"$out" 2>/dev/null &
  local pid=$! url="" t1=0
  while :; do
    [ -z "$url" ] && url=$(sed -n 's/^hearth: serving .* at \(http[^ ]*[^/ ]\)\/*$/\1/p' "$out" | head -1)
    if [ -n "$url" ] && curl -fsS -o /dev/null "$url/health" 2>/dev/null; then t1=$(now_ms); break; fi
    kill -0 $pid 2>/dev/null || { echo "server died: $*" >&2; exit 1; }
    sleep 0.005
  done
  local r1 r2
  r1=$(rss_kb $pid)
  curl -fsS -o /dev/null "$url/v1/chat/completions" -H 'content-type: application/json' \
    -d '{"model":"bench","messages":[{"role":"user","content":"Hello"}],"max_tokens":8}'
  r2=$(rss_kb $pid)
  kill $pid; wait $pid 2>/dev/null || true
  rm -f "$out"
  echo "$((t1 - t0)) $r1 $r2"
}

first=$(one_run "$pack" --server)
pack_ms=() pack_rss=() pack_rss2=() plain_ms=() plain_rss=() plain_rss2=()
for _ in $(seq 1 "$runs"); do
  read -r ms r1 r2 < <(one_run "$pack" --server); pack_ms+=("$ms"); pack_rss+=("$r1"); pack_rss2+=("$r2")
  read -r ms r1 r2 < <(one_run "$static" serve -m "$model"); plain_ms+=("$ms"); plain_rss+=("$r1"); plain_rss2+=("$r2")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cat <<JSON
{
  "model_bytes": $(stat -c %s "$model"),
  "pack_bytes": $(stat -c %s "$pack"),
  "runs": $runs,
  "pack_first_start_ms_with_verify": ${first%% *},
  "pack_startup_ms_median": $(median "${pack_ms[@]}"),
  "plain_startup_ms_median": $(median "${plain_ms[@]}"),
  "pack_rss_kb_ready": $(median "${pack_rss[@]}"),
  "plain_rss_kb_ready": $(median "${plain_rss[@]}"),
  "pack_rss_kb_after_request": $(median "${pack_rss2[@]}"),
  "plain_rss_kb_after_request": $(median "${plain_rss2[@]}"),
  "pack_startup_ms_all": [$(IFS=,; echo "${pack_ms[*]}")],
  "plain_startup_ms_all": [$(IFS=,; echo "${plain_ms[*]}")]
}
JSON
