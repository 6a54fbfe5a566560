#!/usr/bin/env bash
# End-to-end: `hearth memory extract` turns an imported chat log (episodes) into memories. The
# model is a fake OpenAI-compatible endpoint with a fixed operations reply (the shared models are
# too small to answer JSON), reached through a router config; a local GGUF is tried for crashes.
set -euo pipefail
H="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf
T=$(mktemp -d)
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$T"' EXIT
export HEARTH_HOME="$T/home"
unset HEARTH_EMBED_URL HEARTH_EMBED_MODEL
fail() { echo "FAIL: $*" >&2; exit 1; }

# The fake endpoint: every chat completion gets the same two "add" operations; each call is
# logged so the test can count them.
cat >"$T/reply.py" <<'PY'
import json
REPLY = json.dumps({"operations": [
    {"op": "add", "kind": "preference", "text": "The user is vegetarian", "tags": ["food"]},
    {"op": "add", "kind": "fact", "text": "The user lives in Lisbon"},
    {"op": "none"}]})
def reply(body):
    return REPLY
PY
source "$(dirname "$0")/lib/fake_openai.sh"
start_fake_openai "$T" "$T/reply.py"
printf 'providers:\n  fake: {type: openai, base_url: http://127.0.0.1:%s/v1, remote: false}\n' "$(cat "$T/port")" >"$T/router.yaml"
calls() { [ -f "$T/calls.log" ] && wc -l <"$T/calls.log" | tr -d ' ' || echo 0; }
X=(memory extract --config "$T/router.yaml" --model fake:extractor)

cat >"$T/chat.jsonl" <<'JL'
{"role":"user","content":"I stopped eating meat last year, and I moved to Lisbon in March.","conversation":"c1"}
{"role":"assistant","content":"Noted! Enjoy Lisbon.","conversation":"c1"}
JL
"$H" memory import "$T/chat.jsonl" --format jsonl | grep -q "2 added" || fail "chat log import"

# Usage errors: no input, no model.
set +e
"$H" memory extract --config "$T/router.yaml" --model fake:x 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "no input: exit $rc"
"$H" memory extract --episodes 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "no model" "$T/err" || fail "no model: exit $rc, $(cat "$T/err")"
"$H" "${X[@]}" --id m_nosuchid 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "no memory with id m_nosuchid" "$T/err" || fail "bad --id: exit $rc, $(cat "$T/err")"
printf '{"role":"user","content":"hi"}\n{"role":"user"\n' >"$T/bad.jsonl"
"$H" "${X[@]}" --file "$T/bad.jsonl" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "bad.jsonl:2" "$T/err" || fail "malformed file: exit $rc, $(cat "$T/err")"
set -e
[ "$(calls)" = 0 ] || fail "the model was called for a refused request"

# Dry run: the operations are printed, nothing changes (no memories, episodes not marked).
"$H" "${X[@]}" --episodes --dry-run >"$T/dry"
grep -q "would add \[preference\]: The user is vegetarian" "$T/dry" || fail "dry run output: $(cat "$T/dry")"
grep -q "dry run" "$T/dry" || fail "dry run not said"
"$H" memory list --kind preference --json | grep -q vegetarian && fail "dry run changed the store"
"$H" memory list --kind episode --json | grep -q '"extracted"' && fail "dry run marked episodes"
[ "$(calls)" = 1 ] || fail "dry run calls: $(calls)"
grep -q "I stopped eating meat" "$T/calls.log" || fail "the episode's text did not reach the model"

# The real run: memories with ids, episodes marked as extracted.
"$H" "${X[@]}" --episodes --json >"$T/run.json"
python3 - "$T/run.json" <<'PY' || fail "extract --json: $(cat "$T/run.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["added"] == 2 and not j["dry_run"], j
ops = j["batches"][0]["operations"]
assert [o["op"] for o in ops] == ["add", "add"] and all(o["id"].startswith("m_") for o in ops), ops
assert len(j["batches"][0]["episodes"]) == 2
PY
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batches"][0]["operations"][0]["id"])' "$T/run.json")
"$H" memory show "$id" --json | grep -q '"text":"The user is vegetarian"' || fail "added memory not stored"
"$H" memory search "vegetarian" --kind preference | grep -q "$id" || fail "extracted memory not searchable"
[ "$("$H" memory list --kind episode --tags extracted --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] \
  || fail "episodes not marked as extracted"

# A rerun skips processed episodes without calling the model.
n=$(calls)
"$H" "${X[@]}" --episodes | grep -q "nothing to extract" || fail "rerun did not skip processed episodes"
[ "$(calls)" = "$n" ] || fail "rerun called the model"
# The extraction is one undo step (memories and marks together).
"$H" memory undo >/dev/null
"$H" memory list --json | grep -q "$id" && fail "undo kept the memory"
"$H" memory list --kind episode --tags extracted --json | grep -q '"id"' && fail "undo kept the marks"

# A chat log file straight to memories (no import), human-readable output with ids.
printf '{"role":"system","content":"be brief"}\n{"role":"user","content":"I am vegetarian."}\n' >"$T/log.jsonl"
"$H" "${X[@]}" --file "$T/log.jsonl" >"$T/file.out"
grep -Eq "^added m_[0-9a-f]+ \[preference\]: The user is vegetarian" "$T/file.out" || fail "--file output: $(cat "$T/file.out")"

# A local model runs in-process; stories260K cannot answer JSON, which is an error (exit 1).
set +e
"$H" "${X[@]:0:2}" --model "local:$shared/models/stories260K.gguf" --file "$T/log.jsonl" >"$T/local.out" 2>"$T/local.err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "local model: exit $rc, $(cat "$T/local.err")"
grep -Eq "did not answer with JSON|invalid JSON|lacks an \"operations\"" "$T/local.err" || fail "local model error unclear: $(cat "$T/local.err")"
echo "memory extract e2e ok"
