#!/usr/bin/env bash
# `hearth memory add` with a model deciding (memory::remember with a model): a fake
# OpenAI-compatible endpoint answers the documented JSON, superseding the memory it was shown; a
# saved extractor is used without --model; --rules and an empty store make no call; an unusable
# answer falls back to the rules; a remote decider never sees a private memory ($1 = hearth).
set -euo pipefail
H="$1"
T=$(mktemp -d)
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$T"' EXIT
export HEARTH_HOME="$T/home"
unset HEARTH_EMBED_URL HEARTH_EMBED_MODEL
fail() { echo "FAIL: $*" >&2; exit 1; }

# The fake judge: "supersede" the first memory id in the prompt, unless the new memory says
# "garbage" (then it answers prose). Every request is logged.
cat >"$T/reply.py" <<'PY'
import json, re
def reply(body):
    user = body["messages"][-1]["content"]
    ids = re.findall(r"id=(m_[0-9a-f]+)", user)
    new = user[user.find("New memory:"):]
    return "I would keep both." if "garbage" in new else json.dumps({"action": "supersede", "ids": ids[:1]})
PY
source "$(dirname "$0")/lib/fake_openai.sh"
start_fake_openai "$T" "$T/reply.py"
port=$fake_port
printf 'providers:\n  fake: {type: openai, base_url: http://127.0.0.1:%s/v1, remote: false}\n  far: {type: openai, base_url: http://127.0.0.1:%s/v1, remote: true}\n' \
  "$port" "$port" >"$T/router.yaml"
export HEARTH_HOME
mkdir -p "$HEARTH_HOME" && cp "$T/router.yaml" "$HEARTH_HOME/router.yaml"
calls() { [ -f "$T/calls.log" ] && wc -l <"$T/calls.log" | tr -d ' ' || echo 0; }

# An empty store: nothing to compare with, no call.
old=$("$H" memory add "Home is a flat in Lisbon" --model fake:judge)
[ "$(calls)" = 0 ] || fail "a model was asked with nothing to compare"
# The model supersedes what the rules would have kept (no first-person attribute here).
"$H" memory add "Home is now a house in Porto" --model fake:judge --json >"$T/a.json" 2>"$T/a.err" || { cat "$T/a.err"; fail "add with model"; }
[ "$(calls)" = 1 ] || fail "expected one model call, got $(calls)"
python3 - "$T/a.json" "$old" "$T/calls.log" <<'PY' || fail "model-decided supersede"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["reconcile"] == {"action": "superseded", "superseded": [sys.argv[2]], "decided_by": "model:fake:judge"}, r["reconcile"]
call = json.loads(open(sys.argv[3]).readline())
assert call["messages"][0]["role"] == "system" and '"action"' in call["messages"][0]["content"], call["messages"][0]
assert "New memory: [fact] Home is now a house in Porto" in call["messages"][1]["content"], call["messages"][1]
PY
"$H" memory search "flat in Lisbon" --json >"$T/s.json"
python3 - "$T/s.json" "$old" <<'PY' || fail "the superseded memory is still found: $(cat "$T/s.json")"
import json, sys
assert sys.argv[2] not in [h["id"] for h in json.load(open(sys.argv[1]))]
PY
"$H" memory add "Home has a lemon tree" --model fake:judge >/dev/null 2>"$T/note.err"
grep -q "decided by model:fake:judge" "$T/note.err" || fail "the note names the deciding model: $(cat "$T/note.err")"

# The saved extractor decides without --model; --rules asks nobody.
"$H" memory extractor fake:judge >/dev/null
n=$(calls)
"$H" memory add "Home has a blue door" --json >"$T/b.json"
[ "$(calls)" = $((n + 1)) ] || fail "the saved extractor was not asked"
"$H" memory add "Home has a red roof" --rules --json >"$T/c.json"
[ "$(calls)" = $((n + 1)) ] || fail "--rules asked the model"
grep -q '"decided_by":"rules"' "$T/c.json" || fail "--rules result: $(cat "$T/c.json")"
# An unusable answer: the rules decide and say why.
"$H" memory add "Home garbage note" --json >"$T/d.json"
grep -q '"decided_by":"rules (model fake:judge answered no JSON object)"' "$T/d.json" || fail "fallback: $(cat "$T/d.json")"

# MCP memory_add: the saved extractor decides there too (--rules turns it off).
mcp_add() {
  printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"memory_add\",\"arguments\":{\"text\":\"$1\"}}}" |
    "$H" mcp "${@:2}" | tail -1
}
mcp_add "Home has a green gate" | tee "$T/mcp.out" | grep -q '"decided_by":"model:fake:judge"' || fail "MCP memory_add was not decided by the model: $(grep -o "\"decided_by\":\"[^\"]*\"" "$T/mcp.out")"
mcp_add "Home has a grey gate" --rules | grep -q '"decided_by":"rules"' || fail "hearth mcp --rules"

# A remote decider never sees a private memory (built-in policy: private is local-only).
"$H" memory add "My private diary code is 4471" --scope private --rules >/dev/null
"$H" memory add "My private diary code changed" --scope private --model far:judge >/dev/null
! grep -q "4471" "$T/calls.log" || fail "a private memory reached the remote decider"
echo "memory_add_model: ok"
