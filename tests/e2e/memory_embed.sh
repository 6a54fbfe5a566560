#!/usr/bin/env bash
# End-to-end: memory embeddings from a local GGUF model through the router's local provider.
# The hash embedder is the plainly reported fallback; a saved setting, --embed-model and the
# pulled default model select a model; stored vectors carry its name; switching re-embeds.
set -euo pipefail
H="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf models/tiny-llama-Q8_0.gguf models/tiny-bert-F32.gguf
A="$shared/models/stories260K.gguf"
B="$shared/models/tiny-llama-Q8_0.gguf"
T=$(mktemp -d)
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$T"' EXIT
export HEARTH_HOME="$T/home"
unset HEARTH_EMBED_URL HEARTH_EMBED_MODEL
fail() { echo "FAIL: $*" >&2; exit 1; }
jget() { python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# Nothing configured or pulled: the hash embedder, and stats says so plainly.
"$H" memory stats | grep -q "hearth-hash-384, the built-in word-hashing embedder, not a language model" \
  || fail "stats does not say the hash embedder is in use"
[ "$("$H" memory stats --json | jget 'j["embedder_is_model"]')" = False ] || fail "stats --json embedder_is_model"

# Bad settings are refused, naming the problem, and nothing is saved.
set +e
"$H" memory embedder nonsense 2>"$T/err"; rc=$?
set -e
[ $rc = 2 ] || fail "bad spec exit code $rc"
grep -q 'nonsense' "$T/err" || fail "bad spec error does not name it"
if "$H" memory embedder "local:$T/missing.gguf" 2>"$T/err"; then fail "missing model accepted"; fi
grep -q 'missing.gguf' "$T/err" || fail "missing model error does not name the file"
echo "not a model" >"$T/fake.gguf"
if "$H" memory embedder "local:$T/fake.gguf" 2>"$T/err"; then fail "a file that is not a GGUF accepted"; fi
grep -q 'fake.gguf' "$T/err" || fail "bad model file error does not name the file: $(cat "$T/err")"
[ ! -f "$HEARTH_HOME/memory/config.json" ] || ! grep -q embed_model "$HEARTH_HOME/memory/config.json" || fail "bad spec saved"

# Save a local model; add and search through the CLI; vectors carry the model's name.
"$H" memory embedder "local:$A" >/dev/null
[ "$("$H" memory embedder --json | jget 'j["embedder"]')" = local:stories260K.gguf ] || fail "saved embedder not used"
"$H" memory add "The cat sat on the warm mat" >/dev/null
"$H" memory add "Lily likes to play in the park" --kind preference >/dev/null
"$H" memory add "Tom has a big red ball" >/dev/null
"$H" memory search "a red ball" --mode vector --json >"$T/s.json"
[ "$(jget 'len(j)' <"$T/s.json")" = 3 ] || fail "vector search did not return every memory"
jget '[w for h in j for w in h["why"]]' <"$T/s.json" | grep -q 'local:stories260K.gguf' || fail "hits do not name the model"
"$H" memory search "a red ball" --json | jget 'j[0]["text"]' | grep -q "red ball" || fail "hybrid search top hit"
"$H" memory stats --json >"$T/st.json"
[ "$(jget 'j["vectors_by_model"]' <"$T/st.json")" = "{'local:stories260K.gguf': 3}" ] || fail "vectors not from the model: $(cat "$T/st.json")"
[ "$(jget 'j["embedder_is_model"]' <"$T/st.json")" = True ] || fail "stats embedder_is_model"

# --embed-model overrides the setting for one command; the next search re-embeds every memory.
"$H" memory search "warm mat" --mode vector --embed-model "local:$B" --json | jget '[w for h in j for w in h["why"]]' \
  | grep -q 'local:tiny-llama-Q8_0.gguf' || fail "search with --embed-model"
[ "$("$H" memory --embed-model "local:$B" stats --json | jget 'j["vectors_by_model"]')" = "{'local:tiny-llama-Q8_0.gguf': 3}" ] \
  || fail "switching models did not re-embed"
"$H" memory stats | grep -q "stale vectors from local:tiny-llama-Q8_0.gguf" || fail "stale vectors not reported"
"$H" memory reembed | grep -q "embedded 3 memories with local:stories260K.gguf" || fail "reembed after switching back"
# A memory longer than the model's context is embedded from its beginning, not refused.
"$H" memory add "$(python3 -c "print('word ' * 3000)")" >/dev/null || fail "a memory longer than the context was refused"
[ "$("$H" memory stats --json | jget 'j["vectors"]')" = 4 ] || fail "the long memory has no vector"

# hearth serve picks the same embedder as the CLI (here the saved stories260K setting).
serve() {  # $1: model to serve, $2: log; sets url and spid
  "$H" serve -m "$1" --port 0 --parallel 2 -c 1024 >"$2" 2>&1 &
  spid=$!
  url=""
  for _ in $(seq 1 300); do
    url=$(grep -o 'serving .* at http[^ ]*' "$2" | head -1 | sed 's/.* at //' || true)
    [ -n "$url" ] && grep -q 'model ready' "$2" && break
    url=""; sleep 0.1
  done
  [ -n "$url" ] || { cat "$2"; fail "serve did not start"; }
  url=${url%/}
}
stop_serve() { kill $spid; wait $spid 2>/dev/null || true; spid=""; }
# Serving that very model: memories are embedded by the served engine, under the CLI's name.
serve "$A" "$T/serve1.log"
grep -q "memory embeddings: local:$A (.*config.json)" "$T/serve1.log" || fail "serve does not report the saved embedder: $(cat "$T/serve1.log")"
curl -sf "$url/api/hearth/memory" -H 'content-type: application/json' -d '{"text":"Sue bakes bread on Sundays"}' >/dev/null \
  || fail "add through serve"
stop_serve
[ "$("$H" memory stats --json | jget 'j["vectors_by_model"]')" = "{'local:stories260K.gguf': 5}" ] \
  || fail "serve's vector is not the CLI's model: $("$H" memory stats --json)"
# Serving another model: the embedding model is loaded beside it, and the served model still answers.
serve "$B" "$T/serve2.log"
curl -sf "$url/api/hearth/memory" -H 'content-type: application/json' -d '{"text":"Max walks the dog at dawn"}' >/dev/null \
  || fail "add through serve (second model)"
curl -sf "$url/v1/completions" -H 'content-type: application/json' \
  -d "{\"model\":\"tiny-llama-Q8_0\",\"prompt\":\"Once\",\"max_tokens\":2}" | grep -q '"choices"' || fail "served model broken by the embedder"
stop_serve
[ "$("$H" memory stats --json | jget 'j["vectors_by_model"]')" = "{'local:stories260K.gguf': 6}" ] \
  || fail "serve with another model re-embedded or mislabelled: $("$H" memory stats --json)"

# Reset: the default model from `hearth pull`'s store is used when installed, else the hash embedder.
"$H" memory embedder --reset >/dev/null
mkdir -p "$HEARTH_HOME/models"
def=$("$H" pull --help | sed -n 's/.*(default: \([^)]*\)).*/\1/p' | head -1)
[ -n "$def" ] || fail "cannot read the default model name from hearth pull --help"
printf '{"format":"hearth-models-v1","models":[{"name":"%s","path":"%s"}]}\n' "$def" "$A" >"$HEARTH_HOME/models/index.json"
"$H" memory stats | grep -q "embedder: local:stories260K.gguf (from the default model $def (pulled))" || fail "pulled default model not used"
# A pulled embedding model (here the shared tiny BERT under the catalog's name) is preferred.
B2="$shared/models/tiny-bert-F32.gguf"
printf '{"format":"hearth-models-v1","models":[{"name":"%s","path":"%s"},{"name":"bge-small-en-v1.5","path":"%s"}]}\n' \
  "$def" "$A" "$B2" >"$HEARTH_HOME/models/index.json"
"$H" memory stats | grep -q "embedder: local:tiny-bert-F32.gguf (from the embedding model bge-small-en-v1.5 (pulled))" \
  || fail "pulled embedding model not preferred: $("$H" memory stats)"
"$H" memory reembed | grep -q "local:tiny-bert-F32.gguf" || fail "reembed with the encoder"
"$H" memory search "a red ball" --mode vector --json | jget '[w for h in j for w in h["why"]]' \
  | grep -q 'local:tiny-bert-F32.gguf' || fail "search with the encoder embedder"
rm "$HEARTH_HOME/models/index.json"
"$H" memory stats | grep -q "not a language model" || fail "reset did not return to the hash embedder"
echo "memory embed e2e ok"
