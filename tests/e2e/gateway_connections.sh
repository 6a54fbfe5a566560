#!/usr/bin/env bash
# Many clients at once ($1 = hearth): 150 keep-alive connections to a gateway started with its
# defaults, each with a request in flight at the same time, twice over the same connections. The
# fake provider holds every request until all 150 are in flight together, so the test passes only
# if the gateway serves 150 connections at once (a fixed pool of 64 threads served 64 and left the
# rest waiting for the first connections to close). Then a `--threads 8` gateway, where the extra
# connections must wait rather than fail: 20 clients, each request answered at once.
set -euo pipefail
hearth="$1"
source "$(dirname "$0")/lib/scratch.sh"
need_node

n=150
cat > "$tmp/upstream.mjs" <<'JS'
import http from 'node:http';
import { writeFileSync } from 'node:fs';
const [dir, n] = [process.argv[2], +process.argv[3]];
let waiting = [];  // requests held until n are in flight
let hold = true;
const answer = (res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: 'together' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
};
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url.includes('hold-off')) hold = false;
    if (!hold) return answer(res);
    waiting.push(res);
    if (waiting.length === n) { const w = waiting; waiting = []; w.forEach(answer); }
  });
}).listen(0, '127.0.0.1', function () { writeFileSync(`${dir}/port`, String(this.address().port)); });
JS
node "$tmp/upstream.mjs" "$tmp" "$n" & pids+=($!)
disown
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
up=$(cat "$tmp/port")

start_gateway() {  # start_gateway BASE_PATH [gateway args...]
  local base="$1"; shift
  cat > "$tmp/router.yaml" <<YAML
providers:
  local-fake: {type: openai, base_url: 'http://127.0.0.1:$up$base', timeout_ms: 60000, remote: false}
models:
  - {name: m, provider: local-fake, model: m}
YAML
  : > "$tmp/gw.out"
  "$hearth" gateway --config "$tmp/router.yaml" --port 0 "$@" > "$tmp/gw.out" 2> "$tmp/gw.err" & gw=$!
  pids+=($gw)
  disown
  for _ in $(seq 200); do grep -q "listening" "$tmp/gw.out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$tmp/gw.out" | head -1)
  [ -n "$port" ] || { cat "$tmp/gw.err"; exit 1; }
}

# The clients: `rounds` rounds of one request per connection, all of a round at once, on
# `conns` keep-alive sockets; prints how many answers said "together" and how many sockets were used.
cat > "$tmp/clients.mjs" <<'JS'
import http from 'node:http';
const [port, conns, rounds] = [+process.argv[2], +process.argv[3], +process.argv[4]];
const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
const sockets = new Set();
const ask = () => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent,
    headers: { 'content-type': 'application/json' }, timeout: 60000 }, (res) => {
    let body = '';
    res.on('data', (d) => { body += d; });
    res.on('end', () => resolve(res.statusCode === 200 && body.includes('together') ? 1 : 0));
  });
  req.on('socket', (s) => sockets.add(s));
  req.on('timeout', () => req.destroy(new Error('no answer in 60 s')));
  req.on('error', reject);
  req.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }));
});
let ok = 0;
for (let r = 0; r < rounds; ++r) ok += (await Promise.all(Array.from({ length: conns }, ask))).reduce((a, b) => a + b, 0);
console.log(`${ok} ${sockets.size}`);
agent.destroy();
JS

start_gateway /v1
read -r ok used < <(timeout 120 node "$tmp/clients.mjs" "$port" "$n" 2) || fail "the clients did not finish (the gateway served fewer than $n connections at once?)"
[ "$ok" = $((2 * n)) ] || fail "$ok of $((2 * n)) requests answered"
[ "$used" = "$n" ] || fail "the clients used $used connections, not $n (keep-alive broken?)"
echo "default gateway: $n connections served at once, twice"
kill "$gw"

# --threads caps the connections served at once; the others queue and are served in turn.
start_gateway /hold-off/v1 --threads 8
read -r ok used < <(timeout 120 node "$tmp/clients.mjs" "$port" 20 1) || fail "a capped gateway left clients waiting"
[ "$ok" = 20 ] || fail "$ok of 20 requests answered with --threads 8"
echo "gateway --threads 8: 20 connections served in turn"
