#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for N seconds (default 20). A crash,
# leak or timeout fails the run and leaves the reproducer in build/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
cmake --preset fuzz >/dev/null
# Only the fuzz targets (and the components they link), not the whole tree.
targets=$(cd fuzz && ls fuzz_*.cpp 2>/dev/null | sed 's/\.cpp$//' | tr '\n' ' ')
[ -n "$targets" ] || { echo "no fuzz targets"; exit 0; }
cmake --build --preset fuzz --target $targets
mkdir -p build/fuzz/artifacts
shopt -s nullglob
# One fuzzer per core at a time (each is single-threaded); each one's log is printed when it ends.
jobs_max=$(nproc)
pids=() names=()
status=0
finish() {  # waits for the oldest running fuzzer
  local pid=${pids[0]} name=${names[0]}
  pids=("${pids[@]:1}") names=("${names[@]:1}")
  if wait "$pid"; then echo "-- $name done"; else status=1; echo "-- $name FAILED"; fi
  tail -3 "build/fuzz/$name.log"
}
for fuzzer in build/fuzz/fuzz/fuzz_*; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  corpus="build/fuzz/corpus/$name"
  mkdir -p "$corpus"
  seeds="fuzz/seeds/${name#fuzz_}"
  echo "-- $name for ${seconds}s"
  args=("$corpus")
  [ -d "$seeds" ] && args+=("$seeds")
  "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
    -artifact_prefix=build/fuzz/artifacts/ "${args[@]}" >"build/fuzz/$name.log" 2>&1 &
  pids+=($!) names+=("$name")
  [ "${#pids[@]}" -ge "$jobs_max" ] && finish
done
while [ "${#pids[@]}" -gt 0 ]; do finish; done
exit "$status"
