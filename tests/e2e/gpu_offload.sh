#!/usr/bin/env bash
# GPU offload from the command line and the server ($1 = hearth), on whatever Vulkan device is
# there (lavapipe in CI): `run -ngl all` and `-ngl 2` give the CPU's greedy text (a Q8_0 model too,
# with and without the integer dot product; a mixture of experts with its experts on the device
# and with --cpu-moe), `serve -ngl all`
# answers parallel chat requests, bad -ngl values are usage errors, a missing loader is one line
# and the CPU. Without a Vulkan device the GPU half skips (exit 77), except under CI.
set -euo pipefail
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
. "$src/tests/support/e2e_shared.sh"
require_shared models/stories260K.gguf
require_shared models/tiny-llama-Q2_K.gguf
require_shared models/tiny-qwen3moe-F32.gguf
bin="$1"
model="$shared/models/stories260K.gguf"
tmp="$(mktemp -d)"
export HEARTH_HOME="$tmp/home"
pid=""
trap '[ -n "$pid" ] && { kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; }; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Usage errors first (exit 2 from CLI11, 1 from the library's check of the value).
rc=0; "$bin" run -m "$model" -p x --gpu-layers many >"$tmp/bad.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q -- "--gpu-layers: 'many' is not a layer count" "$tmp/bad.txt" || { cat "$tmp/bad.txt"; fail "bad -ngl value (exit $rc)"; }
rc=0; "$bin" bench -m "$model" --backend metal >"$tmp/bad.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q -- "--backend must be cpu or vulkan" "$tmp/bad.txt" || { cat "$tmp/bad.txt"; fail "bad --backend (exit $rc)"; }

cpu=$("$bin" run -m "$model" -p "Once upon a time" -n 24 --temp 0 2>/dev/null)
# No loader: the CPU, with one line saying so.
nolib=$(HEARTH_VULKAN_LOADER=/nonexistent/libvulkan.so.1 "$bin" run -m "$model" -p "Once upon a time" -n 24 --temp 0 -ngl all 2>"$tmp/nolib.err")
[ "$nolib" = "$cpu" ] || fail "without a loader the text differs: '$nolib' vs '$cpu'"
[ "$(grep -c 'no Vulkan GPU' "$tmp/nolib.err")" = 1 ] || { cat "$tmp/nolib.err"; fail "expected one line about the missing GPU"; }

if ! "$bin" devices --json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["vulkan"]["available"] else 1)'; then
  [ "${CI:-}" = "true" ] && fail "no Vulkan device (CI installs mesa-vulkan-drivers)"
  echo "skip: no Vulkan device"; exit 77
fi
for ngl in all 2; do
  gpu=$("$bin" run -m "$model" -p "Once upon a time" -n 24 --temp 0 -ngl $ngl 2>"$tmp/run.err") || { cat "$tmp/run.err"; fail "run -ngl $ngl"; }
  [ "$gpu" = "$cpu" ] || fail "-ngl $ngl text differs: '$gpu' vs CPU '$cpu'"
done
# A layer count beyond the model is every layer; a device index that does not exist is an error.
rc=0; "$bin" run -m "$model" -p x -n 1 --device 99 >"$tmp/dev.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "device 99 does not exist" "$tmp/dev.txt" || { cat "$tmp/dev.txt"; fail "--device 99 (exit $rc)"; }
# More than --gpu-memory allows is an error naming the sizes.
rc=0; "$bin" run -m "$model" -p x -n 1 -ngl all --gpu-memory 4K >"$tmp/mem.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "MiB of device memory, more than the 0.0 MiB of --gpu-memory" "$tmp/mem.txt" || { cat "$tmp/mem.txt"; fail "--gpu-memory 4K (exit $rc)"; }
# bench --backend vulkan reports the device and the upload time.
"$bin" bench -m "$model" --backend vulkan -p 16 -n 4 -r 1 -o json >"$tmp/bench.json" 2>/dev/null || fail "bench --backend vulkan"
python3 - "$tmp/bench.json" <<'PY' || fail "bench JSON"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["backend"] == "Vulkan" and b["gpu_layers"] == 5 and b["gpu_device"], b
assert b["upload_s"] >= 0 and all(t["avg_ts"] > 0 for t in b["tests"]), b
assert b["gpu_integer_dot"] is False, b  # an F32 model: no quantized matmul
PY
# Quantized weights stay in their own layout on the device (with the float matmuls too): a file
# of Q2_K, Q3_K and Q4_K weights takes about its own size there, not four bytes an element.
q2k="$shared/models/tiny-llama-Q2_K.gguf"
HEARTH_GPU_INTEGER_DOT=0 "$bin" bench -m "$q2k" --backend vulkan -p 16 -n 0 -r 1 --json >"$tmp/q2k.json" 2>/dev/null ||
  fail "bench --json on $q2k"
python3 - "$tmp/q2k.json" <<'PY' || fail "Q2_K device memory"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["gpu_integer_dot"] is False and 0 < b["gpu_weight_bytes"] <= 1.1 * b["size"], b
PY

# A quantized model: through the integer dot product (HEARTH_GPU_INTEGER_DOT=1 uses it wherever
# the device has it; lavapipe emulates it, so by default it is off there) and through the float
# matmuls, the CPU's greedy text both ways; the log line and bench say which.
"$bin" quantize "$model" "$tmp/q8.gguf" q8_0 >/dev/null 2>"$tmp/quant.err" || { cat "$tmp/quant.err"; fail "quantize q8_0"; }
qcpu=$("$bin" run -m "$tmp/q8.gguf" -p "Once upon a time" -n 24 --temp 0 2>/dev/null)
for dot in 1 0; do
  q=$(HEARTH_GPU_INTEGER_DOT=$dot HEARTH_LOG=info "$bin" run -m "$tmp/q8.gguf" -p "Once upon a time" -n 24 --temp 0 -ngl all 2>"$tmp/q8.err") ||
    { cat "$tmp/q8.err"; fail "run q8_0 -ngl all (integer dot $dot)"; }
  [ "$q" = "$qcpu" ] || fail "q8_0 -ngl all, integer dot $dot: '$q' vs CPU '$qcpu'"
  n=$(grep -c "offloaded 5 of 5 layers and the output head .*integer dot product" "$tmp/q8.err" || true)
  [ "$n" = "$dot" ] || { cat "$tmp/q8.err"; fail "HEARTH_GPU_INTEGER_DOT=$dot: the log line says otherwise"; }
done
HEARTH_GPU_INTEGER_DOT=1 "$bin" bench -m "$tmp/q8.gguf" --backend vulkan -p 16 -n 4 -r 1 -o json >"$tmp/bench.json" 2>/dev/null ||
  fail "bench q8_0 --backend vulkan"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b["gpu_integer_dot"] is True, b' "$tmp/bench.json" ||
  fail "bench JSON: gpu_integer_dot"

# A mixture of experts: its experts go to the device with their layers (log line, bench JSON),
# --cpu-moe keeps them on the CPU; the CPU's greedy text every way, half offloaded too.
moe="$shared/models/tiny-qwen3moe-F32.gguf"
mcpu=$("$bin" run -m "$moe" -p "Once upon a time" -n 24 --temp 0 2>/dev/null)
for flags in "-ngl all" "-ngl all --cpu-moe" "-ngl 1"; do
  t=$(HEARTH_LOG=info "$bin" run -m "$moe" -p "Once upon a time" -n 24 --temp 0 $flags 2>"$tmp/moe.err") ||
    { cat "$tmp/moe.err"; fail "run $moe $flags"; }
  [ "$t" = "$mcpu" ] || fail "qwen3moe $flags: '$t' vs CPU '$mcpu'"
  want=1; [ "${flags#*--cpu-moe}" != "$flags" ] && want=0
  n=$(grep -c "offloaded .* layers.*experts included" "$tmp/moe.err" || true)
  [ "$n" = "$want" ] || { cat "$tmp/moe.err"; fail "$flags: the log line should say experts included: $want"; }
done
for flags in "" "--cpu-moe"; do
  "$bin" bench -m "$moe" --backend vulkan -p 16 -n 2 -r 1 --json $flags >"$tmp/moe.json" 2>/dev/null || fail "bench $moe $flags"
  python3 - "$tmp/moe.json" "$flags" <<'PY' || fail "bench JSON: gpu_experts with '$flags'"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["gpu_experts"] is (sys.argv[2] == ""), b
PY
done

# A pack with -ngl among its default flags, on this (dynamically linked) hearth: the fully
# static runtime cannot load a Vulkan driver and says so.
"$bin" pack -m "$model" -o "$tmp/story" --runtime "$bin" --args "-ngl all" >/dev/null 2>"$tmp/pack.err" || { cat "$tmp/pack.err"; fail "pack --args -ngl all"; }
HEARTH_LOG=info "$tmp/story" --port 0 >"$tmp/pack.log" 2>&1 &
pid=$!
url="$(server_url "$tmp/pack.log")"
[ -n "$url" ] || { cat "$tmp/pack.log"; fail "the pack did not start"; }
text=$(curl -sf "$url/v1/completions" -H 'Content-Type: application/json' \
  -d '{"prompt":"Once upon a time","max_tokens":24,"temperature":0}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["text"], end="")') || fail "pack completion"
[ " $text" = "$cpu" ] || [ "$text" = "$cpu" ] || fail "pack -ngl all: '$text' vs CPU '$cpu'"
grep -q "offloaded 5 of 5 layers and the output head" "$tmp/pack.log" || { cat "$tmp/pack.log"; fail "the pack did not offload"; }
kill $pid; wait $pid 2>/dev/null || true; pid=""

# The server with every layer on the GPU: 4 chats at once over 2 slots, greedy, each the same
# text as one request alone on the CPU server would give (the model's own greedy answer).
"$bin" serve -m "$model" --port 0 --no-memory -ngl all --parallel 2 >"$tmp/log" 2>&1 &
pid=$!
url="$(server_url "$tmp/log")"
[ -n "$url" ] || { cat "$tmp/log"; fail "server did not start"; }
body='{"model":"x","prompt":"Once upon a time","max_tokens":24,"temperature":0}'
for i in 1 2 3 4; do
  curl -sf "$url/v1/completions" -H 'Content-Type: application/json' -d "$body" >"$tmp/c$i.json" &
done
wait %2 %3 %4 %5 2>/dev/null || true
for i in 1 2 3 4; do
  text=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["choices"][0]["text"], end="")' "$tmp/c$i.json") ||
    { cat "$tmp/c$i.json"; fail "completion $i"; }
  [ " $text" = "$cpu" ] || [ "$text" = "$cpu" ] || fail "server -ngl all, request $i: '$text' vs CPU '$cpu'"
done
echo "ok: GPU offload through run, bench, a pack and serve"
