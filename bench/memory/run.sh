#!/bin/sh
# Retrieval benchmark: LoCoMo recall@5/@10 for BM25, vectors and hybrid, then search latency at
# 10k and 100k memories. Usage: bench/memory/run.sh [path/to/hearth] [extra `memory bench` flags]
# Also measures the configured embedding model (`hearth memory embedder`, HEARTH_EMBED_URL, or
# --embed-model local:FILE.gguf passed through); --hash-only measures only the built-in hash embedder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/release/hearth}
[ $# -gt 0 ] && shift
shared=${HEARTH_SHARED:-$here/../../../shared}
exec "$bin" memory bench --data "$shared/memory-bench/locomo10.json" --sizes 10000,100000 --queries 300 "$@"
