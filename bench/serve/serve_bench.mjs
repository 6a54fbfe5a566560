// Many concurrent streams against `hearth serve`, measured the way ../shared/bench/README.md
// measured llama-server: N concurrent requests of 64 generated tokens after a ~32-token prompt,
// distinct prompts (so no prompt-cache reuse), 3 passes per N.
// Usage: node bench/serve/serve_bench.mjs BASE_URL MODEL [N,N,...] [--json]
const [base, model, levelsArg = '1,4,8'] = process.argv.slice(2).filter((a) => a !== '--json');
const asJson = process.argv.includes('--json');
if (!base || !model) { console.error('usage: serve_bench.mjs BASE_URL MODEL [1,4,8] [--json]'); process.exit(2); }
const levels = levelsArg.split(',').map(Number);
const words = ['river', 'lantern', 'orchard', 'copper', 'meadow', 'harbor', 'thistle', 'ember', 'falcon', 'quarry',
  'willow', 'glacier', 'saffron', 'beacon', 'cobble', 'juniper'];
let serial = 0;
// About 32 tokens of text, different every time.
function prompt() {
  const n = serial++;
  const pick = (k) => words[(n * 7 + k * 3) % words.length];
  return `Story ${n}: the ${pick(0)} and the ${pick(1)} met near the ${pick(2)} by the ${pick(3)}, ` +
    `and they talked about the ${pick(4)}, the ${pick(5)} and the ${pick(6)} until the night came.`;
}

async function one() {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: prompt(), max_tokens: 64, temperature: 0, stream: true,
      stream_options: { include_usage: true } }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttft = null, tokens = 0, buf = '';
  const dec = new TextDecoder();
  for await (const chunk of res.body) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i); buf = buf.slice(i + 2);
      if (!ev.startsWith('data: ') || ev === 'data: [DONE]') continue;
      const j = JSON.parse(ev.slice(6));
      if (j.usage) tokens = j.usage.completion_tokens;
      if (ttft === null && j.choices?.[0]?.text) ttft = performance.now() - t0;
    }
  }
  return { ttft: (ttft ?? performance.now() - t0) / 1000, tokens };
}

const rows = [];
await one();  // warm-up: page the weights in
for (const n of levels) {
  const tps = [], ttft = [];
  for (let pass = 0; pass < 3; pass++) {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: n }, one));
    const secs = (performance.now() - t0) / 1000;
    tps.push(rs.reduce((s, r) => s + r.tokens, 0) / secs);
    ttft.push(rs.reduce((s, r) => s + r.ttft, 0) / n);
  }
  rows.push({ concurrent: n, tokens_per_s: tps, mean_ttft_s: ttft });
}
if (asJson) { console.log(JSON.stringify({ model, rows }, null, 1)); process.exit(0); }
const range = (xs, d) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
console.log('| concurrent requests | generated tokens/s, all streams together | mean time to first token |');
console.log('|---|---|---|');
for (const r of rows) console.log(`| ${r.concurrent} | ${range(r.tokens_per_s, 1)} | ${range(r.mean_ttft_s, 2)} s |`);
