#!/usr/bin/env bash
# The ledger under real use ($1 = hearth): a gateway in front of a fake remote provider answers
# one request, loses a streaming client half way, and is killed with SIGKILL while a third
# request is upstream. Every one of the three must be in the ledger afterwards: ok, cancelled
# with the tokens seen, and "sent" (no outcome) at its estimated input cost.
set -euo pipefail
hearth="$1"
source "$(dirname "$0")/lib/scratch.sh"
need_node

# A remote provider: answers plain requests, streams 40 deltas 100 ms apart, and holds a
# request that says HANG forever (after leaving a mark, so the test knows it arrived).
cat > "$tmp/upstream.mjs" <<'JS'
import http from 'node:http';
import { writeFileSync } from 'node:fs';
const dir = process.argv[2];
const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const j = JSON.parse(body);
    const text = j.messages.map((m) => m.content).join(' ');
    if (text.includes('HANG')) { writeFileSync(`${dir}/hang-arrived`, 'x'); return; }
    if (j.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }));
      let i = 0;
      const t = setInterval(() => {
        if (res.destroyed) { clearInterval(t); writeFileSync(`${dir}/stream-closed`, String(i)); return; }
        res.write(chunk({ content: 'word ' }));
        if (++i === 40) { clearInterval(t); res.end(chunk({}, 'stop') + 'data: [DONE]\n\n'); }
      }, 100);
      res.on('close', () => { clearInterval(t); writeFileSync(`${dir}/stream-closed`, String(i)); });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 } }));
  });
}).listen(0, '127.0.0.1', function () { writeFileSync(`${dir}/port`, String(this.address().port)); });
JS
node "$tmp/upstream.mjs" "$tmp" & pids+=($!)
disown
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
up=$(cat "$tmp/port")

export HEARTH_TEST_KEY_ALICE=sk-alice-123
cat > "$tmp/router.yaml" <<YAML
providers:
  cloud: {type: openai, base_url: 'http://127.0.0.1:$up/v1', timeout_ms: 60000}
models:
  - {name: m, provider: cloud, model: m, input_price: 1000, output_price: 2000}
api_keys: {alice: {env: HEARTH_TEST_KEY_ALICE}}
YAML

start_gateway() {
  "$hearth" gateway --config "$tmp/router.yaml" --port 0 > "$tmp/gw.out" 2> "$tmp/gw.err" & gw=$!
  pids+=($gw)
  disown
  for _ in $(seq 200); do grep -q "listening" "$tmp/gw.out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$tmp/gw.out" | head -1)
  [ -n "$port" ] || { cat "$tmp/gw.err"; exit 1; }
}
ask() {  # ask JSON-BODY [curl args...]
  local body="$1"; shift
  curl -sS "http://127.0.0.1:$port/v1/chat/completions" -H "Authorization: Bearer sk-alice-123" \
    -H 'content-type: application/json' -d "$body" "$@"
}
start_gateway

# 1. Answered.
ask '{"model":"m","messages":[{"role":"user","content":"hello"}]}' | grep -q '"fine"'
# 2. A streaming client that leaves after ~1 s: the gateway stops the upstream stream.
ask '{"model":"m","stream":true,"messages":[{"role":"user","content":"tell me a long story"}]}' --max-time 1 > /dev/null 2>&1 || true
# (-s, not -f: writeFileSync creates the file before it writes the count, and a read in between sees it empty.)
for _ in $(seq 100); do [ -s "$tmp/stream-closed" ] && break; sleep 0.05; done
[ -s "$tmp/stream-closed" ] || { echo "the upstream stream was not stopped after the client left" >&2; exit 1; }
[ "$(cat "$tmp/stream-closed")" -lt 40 ] || { echo "the upstream stream ran to its end" >&2; exit 1; }
sleep 0.3
# 3. In flight upstream when the gateway is killed.
ask '{"model":"m","messages":[{"role":"user","content":"HANG here please"}]}' > /dev/null 2>&1 &
for _ in $(seq 100); do [ -f "$tmp/hang-arrived" ] && break; sleep 0.05; done
[ -f "$tmp/hang-arrived" ] || { echo "the third request never reached the provider" >&2; exit 1; }
kill -9 "$gw"
while kill -0 "$gw" 2>/dev/null; do sleep 0.05; done

"$hearth" ledger --json > "$tmp/ledger.json"
node - "$tmp/ledger.json" <<'JS'
const fs = require('fs');
const l = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const fail = (m) => { console.error(m + '\n' + JSON.stringify(l, null, 1)); process.exit(1); };
const recs = l.records;
if (recs.length !== 3) fail(`expected 3 records, got ${recs.length}`);
const [ok, cancelled, sent] = recs;
if (ok.status !== 'ok' || ok.input_tokens !== 12 || ok.output_tokens !== 2 || ok.estimated) fail('first record');
if (Math.abs(ok.cost_usd - 0.016) > 1e-9) fail('first record cost');
if (cancelled.status !== 'cancelled' || !(cancelled.output_tokens > 0) || !cancelled.estimated || !(cancelled.cost_usd > 0)) fail('cancelled record');
if (sent.status !== 'sent' || !sent.estimated || !(sent.input_tokens > 0) || sent.output_tokens !== 0 || !(sent.cost_usd > 0)) fail('killed record');
for (const r of recs) if (r.key !== 'alice' || r.provider !== 'cloud' || r.model !== 'm') fail('provider, model or key');
if (l.keys.alice.requests !== 3 || l.models['cloud:m'].requests !== 3 || Object.keys(l.days).length !== 1) fail('sums');
if (JSON.stringify(l).includes('sk-alice')) fail('a secret reached the ledger');
JS
"$hearth" ledger --by key | grep -q "^alice .* 3 requests"
"$hearth" ledger --by model | grep -q "^cloud:m .* 3 requests"
"$hearth" ledger --by day | grep -q "^20[0-9-]* .* 3 requests"
if "$hearth" ledger --by week > /dev/null 2>&1; then echo "--by week should be refused" >&2; exit 1; else [ $? -eq 2 ]; fi

# The killed request's estimated cost counts against budgets after a restart.
spent=$(node -e "const l=require('$tmp/ledger.json'); console.log(l.total_cost_usd)")
printf 'budgets: {period: all, global_usd: %s}\n' "$spent" >> "$tmp/router.yaml"
start_gateway
code=$(ask '{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hello"}]}' -o "$tmp/refused.json" -w '%{http_code}')
[ "$code" = 402 ] || { echo "over budget: HTTP $code" >&2; cat "$tmp/refused.json"; exit 1; }
grep -q "budget would be exceeded" "$tmp/refused.json"
echo "ok: ledger holds answered, cancelled and killed requests"
