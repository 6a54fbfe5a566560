#!/usr/bin/env bash
# Virtual keys end to end ($1 = hearth): `hearth keys create|list|revoke` against a running
# `hearth gateway` in front of a fake remote provider, with curl as the client: model lists
# (403), requests and tokens per minute (429 + Retry-After), budgets (402), revocation while the
# gateway runs (401), hashed storage, and spend per key in `hearth keys list` and `hearth ledger`.
set -euo pipefail
hearth="$1"
source "$(dirname "$0")/lib/scratch.sh"
need_node

cat > "$tmp/upstream.mjs" <<'JS'
import http from 'node:http';
import { writeFileSync } from 'node:fs';
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 } }));
  });
}).listen(0, '127.0.0.1', function () { writeFileSync(process.argv[2], String(this.address().port)); });
JS
node "$tmp/upstream.mjs" "$tmp/port" & pids+=($!)
disown
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
cat > "$tmp/router.yaml" <<YAML
providers:
  cloud: {type: openai, base_url: 'http://127.0.0.1:$(cat "$tmp/port")/v1'}
models:
  - {name: m, provider: cloud, model: m, input_price: 1000, output_price: 2000}
  - {name: m2, provider: cloud, model: m2, input_price: 1000, output_price: 2000}
YAML

"$hearth" keys list | grep -q "no keys yet" || fail "empty list"
alice=$("$hearth" keys create alice --models m --rpm 3 2> "$tmp/create.err")
grep -q "copy it now" "$tmp/create.err" || fail "creation does not say the key is shown once"
[[ "$alice" =~ ^hk-[0-9a-f]{48}$ ]] || fail "key format: $alice"
bob=$("$hearth" keys create bob --models 'cloud:*' --tpm 20 --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).key))')
carol=$("$hearth" keys create carol --budget 0.02 --period day 2> /dev/null)
# Mistakes (bad usage, exit 2): a taken name, a bad name, a bad period; an unknown key (1).
set +e
"$hearth" keys create alice 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "a key named 'alice' exists already" "$tmp/err" || fail "duplicate name: rc=$rc $(cat "$tmp/err")"
"$hearth" keys create "a b" 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "must be 1-64 letters" "$tmp/err" || fail "bad name: rc=$rc"
"$hearth" keys create dave --period week 2> /dev/null; rc=$?
[ $rc -eq 2 ] || fail "bad period: rc=$rc"
"$hearth" keys revoke nobody 2> "$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "no key named 'nobody'" "$tmp/err" || fail "revoke unknown: rc=$rc"
set -e
# Only hashes are stored, in a file only the user can read.
for k in "$alice" "$bob" "$carol"; do ! grep -q "$k" "$HEARTH_HOME/keys.db" || fail "a key is stored in clear"; done
[ "$(stat -c %a "$HEARTH_HOME/keys.db")" = 600 ] || fail "keys.db mode $(stat -c %a "$HEARTH_HOME/keys.db")"

"$hearth" gateway --config "$tmp/router.yaml" --port 0 > "$tmp/gw.out" 2> "$tmp/gw.err" & pids+=($!)
disown
for _ in $(seq 200); do grep -q "listening" "$tmp/gw.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$tmp/gw.out" | head -1)
[ -n "$port" ] || { cat "$tmp/gw.err"; fail "gateway did not start"; }
# call KEY MODEL -> prints the HTTP status; the body is in $tmp/body, headers in $tmp/headers
call() {
  curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "http://127.0.0.1:$port/v1/chat/completions" \
    ${1:+-H "Authorization: Bearer $1"} -H 'content-type: application/json' \
    -d "{\"model\":\"$2\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
}

[ "$(call "" m)" = 401 ] || fail "no key: $(cat "$tmp/body")"
[ "$(call "hk-0000" m)" = 401 ] || fail "a wrong key"
# Models: alice may use m only; bob cloud:* only.
[ "$(call "$alice" m2)" = 403 ] || fail "alice m2: $(cat "$tmp/body")"
grep -q "the key 'alice' may not use model 'm2' (allowed: m)" "$tmp/body" || fail "403 message: $(cat "$tmp/body")"
[ "$(call "$bob" m)" = 403 ] || fail "bob m"
# rpm 3: the fourth request in a minute is refused with a Retry-After.
for i in 1 2 3; do [ "$(call "$alice" m)" = 200 ] || fail "alice request $i: $(cat "$tmp/body")"; done
[ "$(call "$alice" m)" = 429 ] || fail "alice fourth: $(cat "$tmp/body")"
retry=$(grep -i '^retry-after:' "$tmp/headers" | tr -dc '0-9')
[ -n "$retry" ] && [ "$retry" -ge 1 ] && [ "$retry" -le 60 ] || fail "Retry-After '$retry'"
grep -q "over its limit of 3 requests" "$tmp/body" || fail "429 message: $(cat "$tmp/body")"
# tpm 20: 14 tokens, then 28 (admitted at 14 < 20), then refused.
[ "$(call "$bob" cloud:m)" = 200 ] || fail "bob first: $(cat "$tmp/body")"
[ "$(call "$bob" cloud:m)" = 200 ] || fail "bob second"
[ "$(call "$bob" cloud:m)" = 429 ] || fail "bob third: $(cat "$tmp/body")"
# Budget $0.02 a day: one call costs $0.016; the next one's worst case ($0.007) does not fit.
[ "$(call "$carol" m)" = 200 ] || fail "carol first: $(cat "$tmp/body")"
[ "$(call "$carol" m)" = 402 ] || fail "carol second: $(cat "$tmp/body")"
grep -q "the budget for key 'carol' would be exceeded: spent \$0.016 today" "$tmp/body" || fail "402 message: $(cat "$tmp/body")"
# Revoked while the gateway runs: refused at the next request.
"$hearth" keys revoke bob | grep -q "revoked key 'bob'"
[ "$(call "$bob" cloud:m)" = 401 ] || fail "revoked bob: $(cat "$tmp/body")"

"$hearth" keys list --json > "$tmp/keys.json"
node - "$tmp/keys.json" <<'JS'
const l = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8')).keys;
const by = Object.fromEntries(l.map((k) => [k.name, k]));
const bad = (m) => { console.error(m, JSON.stringify(l)); process.exit(1); };
if (l.length !== 3) bad('three keys');
if (!by.alice.active || by.bob.active || !by.bob.revoked) bad('states');
if (Math.abs(by.alice.spent_usd - 0.048) > 1e-9 || Math.abs(by.carol.spent_usd - 0.016) > 1e-9) bad('spend');
if (by.carol.budget_usd !== 0.02 || by.carol.period !== 'day' || by.alice.rpm !== 3 || by.bob.tpm !== 20) bad('limits');
if (JSON.stringify(by.bob.models) !== '["cloud:*"]') bad('models');
if (JSON.stringify(l).includes('hk-') && l.some((k) => k.prefix.length > 9)) bad('only a short prefix is shown');
JS
"$hearth" keys list | grep -q '^carol .* active .*\$0.0160 / \$0.02 a day' || fail "text list: $("$hearth" keys list)"
"$hearth" keys list | grep -q '^bob .* revoked ' || fail "text list: $("$hearth" keys list)"
"$hearth" ledger --by key | grep -q "^alice .* 3 requests" || fail "ledger per key"
echo "ok: virtual keys"
