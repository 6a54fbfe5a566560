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
    -artifact_prefix=build/fuzz/artifacts/ "${args[@]}" 2>&1 | tail -3
done
