# Sourced by the pack benches (after $hearth is set): the bench folder $dir ($HEARTH_BENCH_DIR,
# default /tmp/hearth-bench-pack) as $HEARTH_HOME's parent, and $model, a llama-3.2-1b-shaped
# Q4_0 GGUF made once with `hearth synth` (or the MODEL path given as $1 of synth_model).
dir="${HEARTH_BENCH_DIR:-/tmp/hearth-bench-pack}"
mkdir -p "$dir"
export HEARTH_HOME="$dir/home"
synth_model() {
  model="${1:-$dir/llama-3.2-1b-q4_0.gguf}"
  if [ ! -f "$model" ]; then
    "$hearth" synth --arch llama --preset llama-3.2-1b --type q4_0 -o "$model" >&2
  fi
}
