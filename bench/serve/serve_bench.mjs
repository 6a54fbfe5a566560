// Many concurrent streams against `hearth serve`, measured the way ../shared/bench/README.md
// measured llama-server: N concurrent requests of 64 generated tokens after a ~32-token prompt,
// distinct prompts (so no prompt-cache reuse), 3 passes per N. Prompts are cut to 32 tokens of the
// served model's own tokenizer (via /tokenize, which llama-server also offers), since the same
// text is 32 tokens with one vocabulary and 60 with another.
// Usage: node bench/serve/serve_bench.mjs BASE_URL MODEL [N,N,...] [--json]
const [base, model, levelsArg = '1,4,8'] = process.argv.slice(2).filter((a) => a !== '--json');
const asJson = process.argv.includes('--json');
if (!base || !model) { console.error('usage: serve_bench.mjs BASE_URL MODEL [1,4,8] [--json]'); process.exit(2); }
const levels = levelsArg.split(',').map(Number);
const words = ['river', 'lantern', 'orchard', 'copper', 'meadow', 'harbor', 'thistle', 'ember', 'falcon', 'quarry',
  'willow', 'glacier', 'saffron', 'beacon', 'cobble', 'juniper'];
let serial = 0;
const promptTokens = 32;
async function countTokens(text) {
  const res = await fetch(`${base}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: text }) });
  if (res.status !== 200) throw new Error(`/tokenize: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()).tokens.length;
}
// A distinct text of at most promptTokens tokens (not timed).
async function prompt() {
  const n = serial++;
  const pick = (k) => words[(n * 7 + k * 3) % words.length];
  let ws = (`Story ${n}: the ${pick(0)} and the ${pick(1)} met near the ${pick(2)} by the ${pick(3)}, ` +
    `and they talked about the ${pick(4)}, the ${pick(5)} and the ${pick(6)} until the night came.`).split(' ');
  while (ws.length > 3 && await countTokens(ws.join(' ')) > promptTokens) ws.pop();
  return ws.join(' ');
}

async function one(text) {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: text, max_tokens: 64, temperature: 0, stream: true,
      stream_options: { include_usage: true } }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttft = null, tokens = 0, promptUsed = 0, buf = '';
  const dec = new TextDecoder();
  for await (const chunk of res.body) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i); buf = buf.slice(i + 2);
      if (!ev.startsWith('data: ') || ev === 'data: [DONE]') continue;
      const j = JSON.parse(ev.slice(6));
      if (j.usage) { tokens = j.usage.completion_tokens; promptUsed = j.usage.prompt_tokens; }
      if (ttft === null && j.choices?.[0]?.text) ttft = performance.now() - t0;
    }
  }
  return { ttft: (ttft ?? performance.now() - t0) / 1000, tokens, promptUsed };
}

const rows = [];
await one(await prompt());  // warm-up: page the weights in
let promptSum = 0, promptCount = 0;
for (const n of levels) {
  const tps = [], ttft = [];
  for (let pass = 0; pass < 3; pass++) {
    const texts = [];
    for (let i = 0; i < n; i++) texts.push(await prompt());
    const t0 = performance.now();
    const rs = await Promise.all(texts.map(one));
    for (const r of rs) { promptSum += r.promptUsed; promptCount++; }
    const secs = (performance.now() - t0) / 1000;
    tps.push(rs.reduce((s, r) => s + r.tokens, 0) / secs);
    ttft.push(rs.reduce((s, r) => s + r.ttft, 0) / n);
  }
  rows.push({ concurrent: n, tokens_per_s: tps, mean_ttft_s: ttft });
}
const meanPrompt = promptCount ? promptSum / promptCount : 0;
if (asJson) { console.log(JSON.stringify({ model, mean_prompt_tokens: meanPrompt, rows }, null, 1)); process.exit(0); }
console.log(`mean prompt: ${meanPrompt.toFixed(1)} tokens (BOS included), 64 generated per request`);
const range = (xs, d) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
console.log('| concurrent requests | generated tokens/s, all streams together | mean time to first token |');
console.log('|---|---|---|');
for (const r of rows) console.log(`| ${r.concurrent} | ${range(r.tokens_per_s, 1)} | ${range(r.mean_ttft_s, 2)} s |`);
