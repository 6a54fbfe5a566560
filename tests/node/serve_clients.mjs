// The official `openai` and `ollama` npm clients, unmodified, against `hearth serve` running a
// real model, plus a burst of concurrent streams (more clients than slots).
// Usage: node tests/node/serve_clients.mjs HEARTH_BIN MODEL.gguf
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { startServe } from './serve_process.mjs';

const [bin, modelPath] = process.argv.slice(2);
if (!bin || !modelPath) { console.error('usage: serve_clients.mjs HEARTH_BIN MODEL.gguf'); process.exit(2); }

const { base, srv } = await startServe(bin, ['-m', modelPath, '--port', '0', '--parallel', '4', '--ctx-size', '2048', '--queue', '64'], 'hearth-serve-node-');

const model = 'stories260K';
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
const ollama = new Ollama({ host: base });
let failed = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failed++; console.log(`not ok - ${name}: ${e.stack || e}`); }
}
const user = (text) => [{ role: 'user', content: text }];

await check('openai: models.list names the served model', async () => {
  const ids = [];
  for await (const m of openai.models.list()) ids.push(m.id);
  assert.ok(ids.includes(model), JSON.stringify(ids));
});

await check('openai: a prompt longer than the context is a 400 naming both sizes', async () => {
  // --ctx-size 2048 over --parallel 4: 512 tokens per request.
  await assert.rejects(
    openai.chat.completions.create({ model, messages: user('Once upon a time there was a cat. '.repeat(120)), max_tokens: 4 }),
    (e) => {
      assert.equal(e.status, 400, String(e));
      assert.match(e.message, /the prompt has \d+ tokens but the context holds 512/);
      return true;
    });
});

let reference = '';
await check('openai: chat completion with usage', async () => {
  const r = await openai.chat.completions.create({ model, messages: user('Once upon a time'), max_tokens: 24, temperature: 0 });
  reference = r.choices[0].message.content;
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(reference.length > 0);
  assert.ok(['length', 'stop'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

await check('openai: streamed chat equals the non-streamed one and ends with usage', async () => {
  const stream = await openai.chat.completions.create({ model, messages: user('Once upon a time'), max_tokens: 24,
    temperature: 0, stream: true, stream_options: { include_usage: true } });
  let text = '', role = null, finish = null, usage = null, chunks = 0;
  for await (const c of stream) {
    chunks++;
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      if (ch.delta.role) role = ch.delta.role;
      if (ch.delta.content) text += ch.delta.content;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  assert.equal(role, 'assistant');
  assert.equal(text, reference);
  assert.ok(finish);
  assert.ok(usage && usage.completion_tokens > 0, 'usage chunk');
  assert.ok(usage.prompt_tokens_details.cached_tokens > 0, 'the second identical prompt reuses the cache');
  assert.ok(chunks > 3);
});

await check('openai: completions with echo and logprobs score the prompt', async () => {
  const r = await openai.completions.create({ model, prompt: 'The cat sat on the', max_tokens: 1, echo: true, logprobs: 2, temperature: 0 });
  const lp = r.choices[0].logprobs;
  assert.ok(r.choices[0].text.startsWith('The cat sat on the'));
  assert.ok(lp.tokens.length >= 5);
  assert.equal(lp.token_logprobs[0], null);
  assert.ok(lp.token_logprobs.slice(1).every((x) => typeof x === 'number' && x <= 0));
});

await check('openai: embeddings', async () => {
  const r = await openai.embeddings.create({ model, input: ['a cat', 'a dog'] });
  assert.equal(r.data.length, 2);
  const v = r.data[0].embedding;
  assert.ok(v.length > 0);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-3);
});

await check('openai: a hard-coded model name is served by the one model, which the reply names', async () => {
  const r = await openai.chat.completions.create({ model: 'gpt-3.5-turbo', messages: user('x'), max_tokens: 2 });
  assert.equal(r.model, model);
});

await check('ollama: list, show, version', async () => {
  const tags = await ollama.list();
  assert.ok(tags.models.some((m) => m.name.startsWith(model)), JSON.stringify(tags));
  const show = await ollama.show({ model });
  assert.ok(show.model_info || show.details, JSON.stringify(show).slice(0, 200));
  const v = await ollama.version();
  assert.ok(v.version);
});

await check('ollama: chat, streamed and not, agree', async () => {
  const opts = { temperature: 0, num_predict: 16 };
  const r = await ollama.chat({ model, messages: user('Once upon a time'), options: opts, stream: false });
  assert.equal(r.message.role, 'assistant');
  assert.ok(r.done);
  assert.ok(r.eval_count > 0 && r.total_duration > 0);
  let text = '', last = null;
  for await (const part of await ollama.chat({ model, messages: user('Once upon a time'), options: opts, stream: true })) {
    text += part.message.content;
    last = part;
  }
  assert.equal(text, r.message.content);
  assert.ok(last.done && last.done_reason);
});

await check('ollama: generate and embed', async () => {
  const g = await ollama.generate({ model, prompt: 'Lily and Ben', options: { temperature: 0, num_predict: 8 } });
  assert.ok(g.response.length > 0 && g.done);
  const e = await ollama.embed({ model, input: 'a cat' });
  assert.equal(e.embeddings.length, 1);
});

await check('16 concurrent streams over 4 slots all finish', async () => {
  const prompts = ['Once upon a time', 'Lily and Ben', 'The little dog', 'One day a girl'];
  const run = async (i) => {
    const stream = await openai.chat.completions.create({ model, messages: user(prompts[i % 4]), max_tokens: 32,
      temperature: 0, stream: true });
    let text = '', finish = null;
    for await (const c of stream) for (const ch of c.choices) { text += ch.delta.content || ''; finish = ch.finish_reason || finish; }
    return { i, text, finish };
  };
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => run(i)));
  for (const r of results) { assert.ok(r.text.length > 0, `stream ${r.i} empty`); assert.ok(r.finish, `stream ${r.i} unfinished`); }
  // Greedy decoding is deterministic: the same prompt gives the same text whatever ran beside it.
  for (const r of results) assert.equal(r.text, results[r.i % 4].text, `stream ${r.i} differs from stream ${r.i % 4}`);
  const m = await (await fetch(`${base}/metrics`)).text();
  assert.match(m, /hearth_generated_tokens_total \d+/);
});

srv.kill('SIGTERM');
const code = await new Promise((r) => srv.on('exit', (c, sig) => r(c ?? sig)));
await check('serve exits cleanly on SIGTERM', async () => assert.equal(code, 0));
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
