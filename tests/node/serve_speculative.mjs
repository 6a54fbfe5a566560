// Speculative decoding in `hearth serve` (--lookup-ngram, --draft-model), driven with the official
// openai client: concurrent greedy streams must read exactly as a plain server writes them, and
// /metrics must show drafts checked and accepted.
// Usage: node tests/node/serve_speculative.mjs HEARTH_BIN MODEL.gguf
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServe } from './serve_process.mjs';

const [bin, modelPath] = process.argv.slice(2);
if (!bin || !modelPath) { console.error('usage: serve_speculative.mjs HEARTH_BIN MODEL.gguf'); process.exit(2); }
let failed = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failed++; console.log(`not ok - ${name}: ${e.stack || e}`); }
}

const common = ['-m', modelPath, '--port', '0', '--parallel', '3', '--ctx-size', '1536', '--no-memory'];
// Story prompts repeat their own words, so prompt lookup finds drafts; more streams than slots.
const prompts = ['Once upon a time, there was a little girl. She liked to play. One day', 'The little dog',
  'Lily and Ben went to the park. Lily and Ben', 'One day', 'Tom had a red ball.', 'The sun was hot.'];

// Every prompt as a chat stream and as a non-streamed completion, all at once.
async function replies(base) {
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  const stream = async (p) => {
    const s = await openai.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: p }],
      max_tokens: 60, temperature: 0, stream: true });
    let text = '', finish = null;
    for await (const c of s) for (const ch of c.choices) {
      if (ch.delta.content) text += ch.delta.content;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
    return { text, finish };
  };
  const complete = async (p) => {
    const r = await openai.completions.create({ model: 'x', prompt: p, max_tokens: 50, temperature: 0, stop: ['park.'] });
    return { text: r.choices[0].text, finish: r.choices[0].finish_reason, tokens: r.usage.completion_tokens };
  };
  return Promise.all([...prompts.map(stream), ...prompts.map(complete)]);
}

async function metrics(base) {
  const m = await (await fetch(`${base}/metrics`)).text();
  const num = (name) => Number((m.match(new RegExp(`^${name} (\\S+)$`, 'm')) || [])[1]);
  return { drafted: num('hearth_draft_tokens_total'), accepted: num('hearth_draft_tokens_accepted_total'),
           steps: num('hearth_batch_steps_total'), generated: num('hearth_generated_tokens_total') };
}

const plain = await startServe(bin, common, 'hearth-spec-plain-');
const want = await replies(plain.base);
const plainMetrics = await metrics(plain.base);
await plain.stop();

await check('plain server drafts nothing', async () => {
  assert.equal(plainMetrics.drafted, 0);
  assert.ok(want.every((r) => r.text.length > 0), JSON.stringify(want));
});

for (const [name, flags] of [['--lookup-ngram 2', ['--lookup-ngram', '2', '--draft-max', '8']],
                             ['--draft-model (the model itself)', ['--draft-model', modelPath, '--draft-max', '6']]]) {
  const spec = await startServe(bin, [...common, ...flags], 'hearth-spec-');
  await check(`${name}: concurrent greedy replies equal the plain server's`, async () => {
    const got = await replies(spec.base);
    assert.deepEqual(got, want);
  });
  await check(`${name}: /metrics counts drafts, and fewer steps than plain decoding`, async () => {
    const m = await metrics(spec.base);
    assert.ok(m.drafted > 0 && m.accepted > 0 && m.accepted <= m.drafted, JSON.stringify(m));
    assert.equal(m.generated, plainMetrics.generated);
    assert.ok(m.steps < plainMetrics.steps, `${m.steps} steps, plain ${plainMetrics.steps}`);
  });
  await spec.stop();
}

console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
