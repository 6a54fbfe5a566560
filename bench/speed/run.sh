#!/usr/bin/env bash
# hearth vs llama.cpp on the llama-3.2-1b bench model (see docs/performance.md).
# Synthesises the model once per type (cached), runs `hearth bench` on each and prints hearth's
# figures beside llama.cpp's and ik_llama.cpp's, with the ratios and the weight bandwidth reached
# during generation. Without --anchor the anchors' figures come from reference.tsv; with it, each
# named llama-bench runs on the same file in the same run, all engines in alternation, R rounds.
#
#   bench/speed/run.sh [-p 512] [-n 128] [-t 2] [-r 3] [--types "f16 q8_0 q4_0 q4_k_m"]
#                      [--hearth PATH] [--resynth] [--anchor "NAME=LLAMA_BENCH [ARGS]"]...
#                      [--preset llama-3.2-1b]   (another `hearth synth` preset)
#   e.g. --anchor llama.cpp=~/llama.cpp/build/bin/llama-bench --anchor "ik-rtr=~/ik/llama-bench -rtr 1"
#
# Environment: HEARTH_BENCH_DIR (model cache and results, default ~/.cache/hearth-bench),
# HEARTH_BIN (the hearth executable, default: build/release/hearth, else the first build/*/hearth),
# HEARTH_ISA (the kernel path hearth uses). Run it on a quiet machine: anything else running skews
# the figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
p=512 n=128 t=2 r=3 types="f16 q8_0 q4_0 q4_k_m" resynth=0 preset=llama-3.2-1b
anchors=()
hearth="${HEARTH_BIN:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    -p) p="$2"; shift 2 ;;
    -n) n="$2"; shift 2 ;;
    -t) t="$2"; shift 2 ;;
    -r) r="$2"; shift 2 ;;
    --types) types="$2"; shift 2 ;;
    --hearth) hearth="$2"; shift 2 ;;
    --resynth) resynth=1; shift ;;
    --preset) preset="$2"; shift 2 ;;
    --anchor)
      case "$2" in *=?*) ;; *) echo "run.sh: --anchor wants NAME=PATH [ARGS]" >&2; exit 2 ;; esac
      anchors+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$hearth" ]; then
  if [ -x "$root/build/release/hearth" ]; then hearth="$root/build/release/hearth"
  else hearth=$(ls "$root"/build/*/hearth 2>/dev/null | head -1 || true); fi
fi
[ -n "$hearth" ] && [ -x "$hearth" ] || { echo "run.sh: no hearth executable (build one or set HEARTH_BIN)" >&2; exit 1; }

dir="${HEARTH_BENCH_DIR:-$HOME/.cache/hearth-bench}"
results="$dir/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dir" "$results"
echo "hearth: $hearth ($("$hearth" version 2>/dev/null | head -1))"
echo "models: $dir; results: $results"

for type in $types; do
  model="$dir/$preset-$type.gguf"
  # synth writes to a temporary file and renames it at the end, so a cached file is complete.
  if [ "$resynth" = 1 ] || [ ! -f "$model" ]; then
    echo "synthesising $model ..."
    "$hearth" synth --preset "$preset" --type "$type" --seed 0 -o "$model" -t "$t"
  fi
  if [ ${#anchors[@]} -eq 0 ]; then
    echo "bench $type: -p $p -n $n -t $t -r $r"
    "$hearth" bench -m "$model" -p "$p" -n "$n" -t "$t" -r "$r" -o json >"$results/$type.json"
    continue
  fi
  # Side by side: one repetition of every engine per round, rounds interleaved, so drift of a
  # shared machine hits all engines alike.
  for round in $(seq 1 "$r"); do
    echo "bench $type round $round/$r: hearth"
    "$hearth" bench -m "$model" -p "$p" -n "$n" -t "$t" -r 1 -q -o json >"$results/$type.hearth.$round.json"
    for a in "${anchors[@]}"; do
      name="${a%%=*}"
      read -r -a cmd <<<"${a#*=}"
      cmd[0]="${cmd[0]/#\~/$HOME}"
      echo "bench $type round $round/$r: $name"
      "${cmd[@]}" -m "$model" -p "$p" -n "$n" -t "$t" -r 1 -o json >"$results/$type.$name.$round.json"
    done
  done
done

if [ ${#anchors[@]} -eq 0 ]; then
  python3 "$here/table.py" "$here/reference.tsv" "$results" $types | tee "$results/table.md"
else
  names=()
  for a in "${anchors[@]}"; do names+=("${a%%=*}"); done
  python3 "$here/side_by_side.py" "$results" "$r" "${names[*]}" $types | tee "$results/table.md"
fi
