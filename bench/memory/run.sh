#!/bin/sh
# Retrieval benchmark: LoCoMo recall@5/@10 for BM25, vectors and hybrid, then search latency at
# 10k and 100k memories. Usage: bench/memory/run.sh [path/to/hearth] [extra `memory bench` flags]
# Uses HEARTH_EMBED_URL/MODEL too when set (add --hash-only to skip it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/release/hearth}
[ $# -gt 0 ] && shift
shared=${HEARTH_SHARED:-$here/../../../shared}
exec "$bin" memory bench --data "$shared/memory-bench/locomo10.json" --sizes 10000,100000 --queries 300 "$@"
