#!/usr/bin/env bash
# Speculative decoding in `hearth serve` with the official openai client ($1 = hearth), and the
# flags' refusals.
set -euo pipefail
source "$(dirname "$0")/../support/e2e_node.sh"
hearth="$1"
model="$shared/models/stories260K.gguf"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Both drafters at once, and a draft whose vocabulary differs, are refused before serving.
rc=0; "$hearth" serve -m "$model" --port 0 --no-memory --lookup-ngram 2 --draft-model "$model" >"$out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "not both" "$out" || { cat "$out"; echo "FAIL: --lookup-ngram with --draft-model (exit $rc)"; exit 1; }
rc=0; timeout 60 "$hearth" serve -m "$model" --port 0 --no-memory --draft-model "$shared/models/tiny-qwen2-bpe-Q8_0.gguf" >"$out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "vocabulary" "$out" || { cat "$out"; echo "FAIL: a draft with another vocabulary (exit $rc)"; exit 1; }
exec node tests/node/serve_speculative.mjs "$hearth" "$model"
