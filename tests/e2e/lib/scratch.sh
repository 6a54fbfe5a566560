# Sourced by e2e scripts: `need_node` (skip, or fail under CI, without node), and a scratch
# folder $tmp as $HEARTH_HOME's parent whose background processes ($pids) are killed on exit.
need_node() {
  command -v node > /dev/null && return 0
  if [ "${CI:-}" = "true" ]; then echo "node missing" >&2; exit 1; fi
  echo "skipping: node missing"; exit 77
}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null || true; done; wait 2> /dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
export HEARTH_HOME="$tmp/home"
fail() { echo "FAIL: $*" >&2; exit 1; }
