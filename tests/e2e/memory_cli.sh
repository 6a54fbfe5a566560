#!/usr/bin/env bash
# End-to-end: the memory CLI as a user drives it (add, search, edit, forget, undo, export/import,
# encryption, importers).
set -euo pipefail
H="$1"
SRC="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export HEARTH_HOME="$T/home"
fail() { echo "FAIL: $*" >&2; exit 1; }

id=$("$H" memory add "Lives in Paris" --tags home)
"$H" memory add "Prefers green tea" --kind preference >/dev/null
"$H" memory edit "$id" --text "Lives in Berlin"
"$H" memory show "$id" --json | grep -q '"text":"Lives in Paris"' || fail "old value not in history"
"$H" memory search "where does the user live" --json | grep -q "Berlin" || fail "search"
"$H" memory forget "$id" >/dev/null
"$H" memory list --json | grep -q Berlin && fail "forgotten memory still listed"
"$H" memory undo >"$T/undo"
grep -q "restored $id: Lives in Berlin" "$T/undo" || { cat "$T/undo"; fail "undo did not say what it restored"; }
"$H" memory list --json | grep -q Berlin || fail "undo did not restore"
# A memory over the size limit (16 KiB by default) is refused, saying so; nothing is stored.
big=$(head -c 20000 /dev/zero | tr '\0' x)
rc=0; "$H" memory add "$big" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q "at most 16384" "$T/err" || { cat "$T/err"; fail "oversized memory: exit $rc"; }
"$H" memory stats --json | grep -q '"live":2' || fail "stats"
# After a purge, undo does not reach back to older changes.
tmp_id=$("$H" memory add "Temporary note")
"$H" memory forget "$tmp_id" >/dev/null
"$H" memory purge >/dev/null
rc=0; "$H" memory undo >"$T/undo" || rc=$?
[ "$rc" = 1 ] && grep -q "nothing to undo" "$T/undo" || { cat "$T/undo"; fail "undo crossed a purge (exit $rc)"; }
"$H" memory stats --json | grep -q '"live":2' || fail "purge or undo changed other memories"

"$H" memory export -o "$T/a.jsonl"
HEARTH_HOME="$T/b" "$H" memory import "$T/a.jsonl" >/dev/null
HEARTH_HOME="$T/b" "$H" memory export -o "$T/b.jsonl"
cmp "$T/a.jsonl" "$T/b.jsonl" || fail "round trip not byte-identical"

# A larger bundle: progress by phase on stderr when asked (stderr is not a terminal here), the
# report as JSON; the same bundle from stdin adds nothing new.
python3 - "$T/big.jsonl" <<'PY'
import json, sys
n = 1500
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"type": "header", "format": "hearth-memory", "version": 2, "records": n}) + "\n")
    for i in range(n):
        t = "2026-02-01T10:%02d:%02d.000Z" % (i // 60 % 60, i % 60)
        f.write(json.dumps({"type": "record", "id": "m_%024x" % (i + 1), "kind": "fact", "text": "Bulk note %d on shelf %d" % (i, i % 37),
                            "scope": "user", "created": t, "updated": t}) + "\n")
PY
HEARTH_HOME="$T/big" "$H" memory import "$T/big.jsonl" --progress --json >"$T/big.out" 2>"$T/big.err" || { cat "$T/big.err"; fail "big import"; }
grep -q '"added":1500' "$T/big.out" || { cat "$T/big.out"; fail "big import report"; }
grep -q "^import: read .* MB (100%)$" "$T/big.err" && grep -q "^import: reconcile 1500 / 1500 records (100%)$" "$T/big.err" \
  && grep -q "^import: write 1500 / 1500 records (100%)$" "$T/big.err" || { cat "$T/big.err"; fail "import progress"; }
HEARTH_HOME="$T/big" "$H" memory import - --json <"$T/big.jsonl" 2>"$T/big.err" | grep -q '"skipped":1500' || fail "stdin import"
[ -s "$T/big.err" ] && { cat "$T/big.err"; fail "progress shown without --progress on a non-terminal"; }
# A pipe (process substitution) is read, not mapped.
HEARTH_HOME="$T/pipe" "$H" memory import <(cat "$T/big.jsonl") --json | grep -q '"added":1500' || fail "import from a pipe"
: >"$T/empty.jsonl"
rc=0; HEARTH_HOME="$T/big" "$H" memory import "$T/empty.jsonl" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "empty.jsonl: the file is empty" "$T/err" || { cat "$T/err"; fail "empty file: exit $rc"; }

echo "s3cret phrase" > "$T/pw"; echo "other" > "$T/bad"
"$H" memory export --encrypt --passphrase-file "$T/pw" -o "$T/a.enc"
if HEARTH_HOME="$T/c" "$H" memory import "$T/a.enc" --passphrase-file "$T/bad" 2>"$T/err"; then fail "wrong passphrase accepted"; fi
grep -q "wrong passphrase" "$T/err" || fail "unclear wrong-passphrase error"
HEARTH_HOME="$T/c" HEARTH_PASSPHRASE="s3cret phrase" "$H" memory import "$T/a.enc" | grep -q "2 added" || fail "encrypted import"

"$H" memory import "$SRC/tests/memory/data/chatgpt_conversations.json" | grep -q "(chatgpt): 3 read" || fail chatgpt
"$H" memory import "$SRC/tests/memory/data/claude_conversations.json" | grep -q "(claude)" || fail claude
# The .zip exports as downloaded.
HEARTH_HOME="$T/zip" "$H" memory import "$SRC/tests/memory/data/chatgpt_export.zip" | grep -q "(chatgpt): 3 read" || fail "chatgpt zip"
HEARTH_HOME="$T/zip" "$H" memory import "$SRC/tests/memory/data/claude_export.zip" | grep -q "(claude): 2 read" || fail "claude zip"
rc=0; HEARTH_HOME="$T/zip" "$H" memory import "$SRC/tests/memory/data/no_conversations.zip" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "without conversations.json" "$T/err" || { cat "$T/err"; fail "zip without conversations: exit $rc"; }
"$H" memory import "$SRC/tests/memory/data/mcp_memory.jsonl" | grep -q "(mcp-jsonl)" || fail mcp
"$H" memory search "vegetarian Lisbon" | grep -q Lisbon || fail "imported episodes not searchable"
if "$H" memory import "$SRC/tests/memory/data/bad_chat_log.jsonl" 2>"$T/err"; then fail "malformed import accepted"; fi
grep -q "bad_chat_log.jsonl:2" "$T/err" || fail "no line number in error"
"$H" memory import "$T/a.jsonl" --mode keep-both --remap-scope user=project:x | grep -q "2 kept both" || fail keep-both
# Scope policies: the built-ins, a saved one (kept beside other settings), a lookup, unset, errors.
"$H" memory policy >"$T/pol"
grep -q "^project:\*  *local-only (built in)" "$T/pol" && grep -q "^private  *local-only (built in)" "$T/pol" \
  || { cat "$T/pol"; fail "built-in policies not listed"; }
"$H" memory policy "work" "openai, anthropic" >/dev/null
"$H" memory policy "project:acme" | grep -q "project:acme: local-only (pattern project:\*)" || fail "policy lookup"
"$H" memory policy "work" --json | grep -q '"policy":"openai,anthropic"' || fail "saved policy"
grep -q '"work": "openai,anthropic"' "$HEARTH_HOME/memory/config.json" || fail "policy not in config.json"
rc=0; "$H" memory policy "work" "every where" 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q "local-only, any-provider" "$T/err" || { cat "$T/err"; fail "bad policy: exit $rc"; }
"$H" memory policy "work" --unset >/dev/null
"$H" memory policy --json | grep -q '"work"' && fail "unset policy still listed"
rc=0; "$H" memory policy "work" --unset 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'no saved policy for "work"' "$T/err" || { cat "$T/err"; fail "unset twice: exit $rc"; }
"$H" memory add "Private note" --scope private --json | grep -q '"scope":"private"' || fail "private scope"
"$H" memory add "Always answer with British spelling" --kind core --json | grep -q '"kind":"core"' || fail "core kind"
# The relevance floor: a query sharing nothing with any memory finds nothing (not the newest ones).
"$H" memory search "zeppelin xylophone" | grep -q "no matching memories" || fail "relevance floor"
"$H" memory search "zeppelin xylophone" --min-similarity -1 --json | grep -q '"id"' || fail "no floor with -1"
# Updates, not contradictions: a new statement of the same fact supersedes the old one.
export HEARTH_HOME="$T/reconcile"
paris=$("$H" memory add "I live in Paris")
for i in $(seq 1 30); do "$H" memory add "Note $i about gardening and books" >/dev/null; done
"$H" memory add "I moved to Berlin" >/dev/null 2>"$T/err"
grep -q "supersedes $paris: I live in Paris" "$T/err" || { cat "$T/err"; fail "no supersede note"; }
"$H" memory search "where do I live?" >"$T/out"
head -1 "$T/out" | grep -q "I moved to Berlin" || { cat "$T/out"; fail "Berlin is not the answer"; }
grep -q "\[fact\] I live in Paris" "$T/out" && fail "the superseded Paris is still answered"
"$H" memory search "where do I live?" --history | grep -q "I live in Paris" || fail "Paris not in history"
"$H" memory show "$paris" --json | grep -q '"rel":"superseded_by"' || fail "no superseded_by link"
"$H" memory add "i live in Berlin!" >/dev/null 2>"$T/err"; "$H" memory add "I moved to Berlin" >/dev/null 2>"$T/err"
grep -q "already remembered" "$T/err" || { cat "$T/err"; fail "duplicate stored"; }
# The extraction model setting.
"$H" memory extractor | grep -q "not set" || fail "extractor default"
"$H" memory extractor openai:gpt-4o-mini >/dev/null
"$H" memory extractor --json | grep -q '"extract_model":"openai:gpt-4o-mini"' || fail "extractor not saved"
"$H" memory extractor --reset >/dev/null
"$H" memory extractor --json | grep -q '"extract_model":null' || fail "extractor not reset"
echo "memory CLI e2e ok"
