#!/usr/bin/env bash
# `hearth devices` ($1 = hearth): with the Vulkan loader hidden it says Vulkan is not available
# and exits 0; with lavapipe installed it lists the llvmpipe device in text and JSON. Without any
# Vulkan device the second half skips (exit 77), except under CI, which installs lavapipe.
set -u
bin="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect FILE PATTERN: the file must contain the (grep -E) pattern
  grep -Eq -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "no match for '$2'"; }
}

# No loader: one line about Vulkan, the CPU still listed, exit 0, nothing on stderr.
HEARTH_VULKAN_LOADER=/nonexistent/libvulkan.so.1 "$bin" devices >"$tmp/none.txt" 2>"$tmp/none.err" ||
  fail "devices without a loader exited $?"
expect "$tmp/none.txt" '^CPU  .*, [0-9]+ threads, kernels [a-z0-9+]+$'
expect "$tmp/none.txt" '^Vulkan is not available, so hearth runs on the CPU: .*/nonexistent/libvulkan\.so\.1'
[ "$(grep -c Vulkan "$tmp/none.txt")" = 1 ] || fail "more than one Vulkan line without a loader"
[ ! -s "$tmp/none.err" ] || { cat "$tmp/none.err"; fail "stderr without a loader"; }
HEARTH_VULKAN_LOADER=/nonexistent/libvulkan.so.1 "$bin" devices --json >"$tmp/none.json" || fail "--json without a loader exited $?"
python3 - "$tmp/none.json" <<'PY' || fail "JSON without a loader"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cpu"]["isa"] and d["cpu"]["threads"] > 0, d["cpu"]
v = d["vulkan"]
assert v["available"] is False and v["devices"] == [] and "nonexistent" in v["message"], v
PY

# Usage: --help is 0, an unknown flag 2.
"$bin" devices --help >"$tmp/help.txt" || fail "--help exited $?"
expect "$tmp/help.txt" '--json'
"$bin" devices --bogus >/dev/null 2>&1
[ $? = 2 ] || fail "an unknown flag should exit 2"

# The real loader.
"$bin" devices --json >"$tmp/devices.json" || fail "devices --json exited $?"
available=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vulkan"]["available"])' "$tmp/devices.json")
if [ "$available" != True ]; then
  if [ "${CI:-}" = "true" ]; then cat "$tmp/devices.json"; fail "no Vulkan device (CI installs mesa-vulkan-drivers)"; fi
  echo "skip: no Vulkan device here ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vulkan"]["message"])' "$tmp/devices.json"))"
  exit 77
fi
python3 - "$tmp/devices.json" "${CI:-}" <<'PY' || fail "devices --json"
import json, sys
v = json.load(open(sys.argv[1]))["vulkan"]
names = [d["name"] for d in v["devices"]]
for d in v["devices"]:
    for k in ("index", "type", "vendor_id", "api_version", "device_local_bytes", "subgroup_size", "max_subgroup_size"):
        assert k in d, (k, d)
    for f in ("fp16", "int8", "integer_dot_product", "cooperative_matrix"):
        assert isinstance(d["features"][f], bool), (f, d)
    assert d["device_local_bytes"] > 0, d
lavapipe = [d for d in v["devices"] if d["name"].startswith("llvmpipe")]
if lavapipe:
    assert lavapipe[0]["type"] == "cpu", lavapipe[0]
    assert lavapipe[0]["driver_name"] == "llvmpipe", lavapipe[0]
elif sys.argv[2] == "true":
    sys.exit(f"CI expects lavapipe (llvmpipe) among {names}")
assert 0 <= v["default_device"] < len(names), v["default_device"]
PY
"$bin" devices >"$tmp/devices.txt" || fail "devices exited $?"
expect "$tmp/devices.txt" '^Vulkan [0-9.]+ \(libvulkan\.so\.1\), [0-9]+ devices?:$'
expect "$tmp/devices.txt" '^  0  .+'
expect "$tmp/devices.txt" '^     memory .+ device-local, largest binding .+; subgroup [0-9]+ \(max [0-9]+\)$'
expect "$tmp/devices.txt" '^     fp16 (yes|no), int8 (yes|no), integer dot product (yes \((accelerated|emulated)\)|no), cooperative matrix (yes|no)'
if grep -q llvmpipe "$tmp/devices.json"; then expect "$tmp/devices.txt" '^  [0-9]+  llvmpipe'; fi
echo "ok"
