#!/usr/bin/env bash
# `hearth grammar check` and `convert` as a user runs them ($1 = hearth): exit codes 0/1/2 on the
# shared conformance cases (one text per grammar or schema; the library test runs all 472),
# the byte a rejection names, and --json.
set -u
bin="$1"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared grammar/cases.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 - "$bin" "$shared/grammar" <<'PY' || fail "conformance cases through the CLI"
import json, subprocess, sys
bin, d = sys.argv[1], sys.argv[2]
cases = json.load(open(d + "/cases.json"))["cases"]
seen, bad = set(), 0
for c in cases:
    f = c["grammar"] or c["schema"]
    if (f, c["expect"]) in seen:
        continue
    seen.add((f, c["expect"]))
    args = ["-g", d + "/" + c["grammar"]] if c["grammar"] else ["--json-schema", d + "/" + c["schema"]]
    r = subprocess.run([bin, "grammar", "check", *args], input=c["text"].encode(), capture_output=True, timeout=60)
    got = {0: "accept", 1: "reject", 2: "invalid-grammar"}.get(r.returncode, "exit %d" % r.returncode)
    if got != c["expect"]:
        bad += 1
        print(c["id"], "expected", c["expect"], "got", got, r.stderr.decode()[:200])
print(len(seen), "cases,", bad, "wrong")
sys.exit(1 if bad else 0)
PY

printf 'root ::= "ab" [0-9]+\n' >"$tmp/g.gbnf"
printf 'ab12' | "$bin" grammar check -g "$tmp/g.gbnf" || fail "ab12 rejected"
printf 'ab1x' | "$bin" grammar check -g "$tmp/g.gbnf" 2>"$tmp/err"; [ $? -eq 1 ] || fail "ab1x not exit 1"
grep -q "byte 3" "$tmp/err" || { cat "$tmp/err"; fail "rejection does not name byte 3"; }
printf 'ab' | "$bin" grammar check -g "$tmp/g.gbnf" --json >"$tmp/j" ; [ $? -eq 1 ] || fail "prefix accepted"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j=={"accepted":False,"bytes":2,"failed_at":2}, j' "$tmp/j" || fail "--json"
printf 'root ::= "a\n' >"$tmp/bad.gbnf"
printf 'a' | "$bin" grammar check -g "$tmp/bad.gbnf" 2>"$tmp/err"; [ $? -eq 2 ] || fail "bad grammar not exit 2"
grep -q "line 1, column" "$tmp/err" || { cat "$tmp/err"; fail "grammar error lacks line and column"; }
"$bin" grammar check </dev/null >/dev/null 2>&1; [ $? -eq 2 ] || fail "check without a grammar is not a usage error"
echo '{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}' >"$tmp/s.json"
"$bin" grammar convert --json-schema "$tmp/s.json" >"$tmp/s.gbnf" || fail "convert"
grep -q '^root ::=' "$tmp/s.gbnf" || fail "converted grammar has no root"
printf '{"n": 3}' | "$bin" grammar check -g "$tmp/s.gbnf" || fail "converted grammar rejects its schema's JSON"
echo ok
