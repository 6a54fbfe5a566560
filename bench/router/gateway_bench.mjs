// Gateway overhead: latency (p50/p99) and throughput of non-streaming chat completions sent
// directly to a fake OpenAI-compatible upstream vs. through `hearth gateway`, at 1, 64 and 512
// concurrent connections on loopback. No dependencies beyond node.
// Usage: node bench/router/gateway_bench.mjs path/to/hearth [requests_per_level] [levels, e.g. 1,64,512]
// At 512 connections the three processes hold about 2,000 sockets between them: check
// `ulimit -n` (4096 or more). The gateway runs with its default --threads (a thread per open
// connection, started as clients connect) and keeps up to 600 idle upstream connections.
// BENCH_UPSTREAM_MS=N makes the fake answer after N ms, as a real provider does (its time to a
// complete answer is tens of ms at best): the clients then wait on the upstream, not on the two
// shared cores, and the difference is what the gateway itself adds to each request.
// router_overhead_p50/p99_ms: the router's own time per request as each answer reports it
// (`hearth.overhead_ms`: all but the upstream call; budget, ledger lines, routing), free of the
// load generator's noise; the same figures are in /metrics as hearth_router_overhead_seconds.
// BENCH_LOCAL=1 marks the fake `remote: false`, so nothing is written to the ledger.
// BENCH_LEDGER_SYNC=strict|background sets the ledger's ledger_sync (default background).
import http from 'node:http';
import { spawn, fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (process.argv[2] === '--upstream') {
  // The fake provider runs in its own process so it does not share the load generator's loop.
  const reply = JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } });
  const delay = Number(process.env.BENCH_UPSTREAM_MS || 0);
  const s = http.createServer((req, res) => {
    req.resume();
    const answer = () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(reply); };
    // Spread over delay/2 .. 3*delay/2 so clients do not move in lockstep (as real ones do not).
    req.on('end', () => (delay > 0 ? setTimeout(answer, delay * (0.5 + Math.random())) : answer()));
  });
  s.maxConnections = 4096;
  s.listen(0, '127.0.0.1', () => process.send(s.address().port));
} else {
  const bin = process.argv[2] || process.env.HEARTH_BIN;
  const perLevel = Number(process.argv[3] || 4000);
  const levels = (process.argv[4] || '1,64,512').split(',').map(Number);
  const up = fork(new URL(import.meta.url).pathname, ['--upstream']);
  const upPort = await new Promise((r) => up.once('message', r));
  const dir = mkdtempSync(join(tmpdir(), 'hearth-gw-bench-'));
  writeFileSync(join(dir, 'router.yaml'), `providers:\n  fake: {type: openai, base_url: 'http://127.0.0.1:${upPort}', timeout_ms: 30000, max_idle_connections: 600${process.env.BENCH_LOCAL ? ', remote: false' : ''}}\nledger_dir: '${join(dir, 'ledger')}'\n${process.env.BENCH_LEDGER_SYNC ? `ledger_sync: ${process.env.BENCH_LEDGER_SYNC}\n` : ''}`);
  const gw = spawn(bin, ['gateway', '--config', join(dir, 'router.yaml'), '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HEARTH_HOME: dir } });
  const gwPort = await new Promise((resolve) => {
    let out = '';
    gw.stdout.on('data', (d) => { out += d; const m = out.match(/:(\d+)\n/); if (m) resolve(Number(m[1])); });
  });
  const body = JSON.stringify({ model: 'fake:m', messages: [{ role: 'user', content: 'hi' }] });

  async function run(port, conc, total) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
    const lat = [], own = [];  // client-side latency; the router's own time from each answer
    let next = 0;
    const one = () => new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
          lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          const m = text.match(/"overhead_ms":([0-9.eE+-]+)/);
          if (m) own.push(Number(m[1]));
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
    const worker = async () => { while (next++ < total) await one(); };
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: conc }, worker));
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    agent.destroy();
    lat.sort((a, b) => a - b);
    own.sort((a, b) => a - b);
    const q = (p, v = lat) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
    if (process.env.BENCH_DIST) console.error(port, conc, [0.5, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999].map((p) => `${p}:${q(p).toFixed(1)}`).join(" "));
    return { p50: q(0.5), p99: q(0.99), rps: total / secs, own_p50: own.length ? q(0.5, own) : null, own_p99: own.length ? q(0.99, own) : null };
  }

  const results = [];
  for (const conc of levels) {
    const total = Math.max(perLevel, conc * 4);
    await run(upPort, conc, Math.min(200, total));  // warm-up
    await run(gwPort, conc, Math.min(200, total));
    const direct = await run(upPort, conc, total);
    const via = await run(gwPort, conc, total);
    const r = { concurrency: conc, requests: total,
      direct_p50_ms: +direct.p50.toFixed(3), direct_p99_ms: +direct.p99.toFixed(3), direct_rps: Math.round(direct.rps),
      gateway_p50_ms: +via.p50.toFixed(3), gateway_p99_ms: +via.p99.toFixed(3), gateway_rps: Math.round(via.rps),
      added_p50_ms: +(via.p50 - direct.p50).toFixed(3), added_p99_ms: +(via.p99 - direct.p99).toFixed(3),
      router_overhead_p50_ms: via.own_p50 === null ? null : +via.own_p50.toFixed(3),
      router_overhead_p99_ms: via.own_p99 === null ? null : +via.own_p99.toFixed(3) };
    results.push(r);
    console.log(JSON.stringify(r));
  }
  gw.kill('SIGTERM');
  up.kill();
}
