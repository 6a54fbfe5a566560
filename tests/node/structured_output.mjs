// Structured output through the official clients, unmodified: OpenAI response_format
// (json_schema strict, json_object), llama.cpp's `grammar` and `json_schema` fields, Ollama's
// `format`; on chat and completions, streaming and not; malformed schemas refused by name.
// Usage: node tests/node/structured_output.mjs HEARTH_BIN MODEL.gguf
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { startServe } from './serve_process.mjs';

const [bin, modelPath] = process.argv.slice(2);
if (!bin || !modelPath) { console.error('usage: structured_output.mjs HEARTH_BIN MODEL.gguf'); process.exit(2); }

const { base, srv } = await startServe(bin, ['-m', modelPath, '--port', '0', '--parallel', '2', '--ctx-size', '1024'], 'hearth-structured-');

const model = 'stories260K';
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
const ollama = new Ollama({ host: base });
let failed = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failed++; console.log(`not ok - ${name}: ${e.stack || e}`); }
}
const user = (text) => [{ role: 'user', content: text }];

// A person: short fields so even a tiny model finishes well within max_tokens.
const person = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 10 },
    age: { type: 'integer', minimum: 1, maximum: 99 },
    mood: { enum: ['happy', 'sad'] },
  },
  required: ['name', 'age', 'mood'],
  additionalProperties: false,
};
function validPerson(text) {
  const p = JSON.parse(text);
  assert.deepEqual(Object.keys(p), ['name', 'age', 'mood'], 'properties in schema order');
  assert.equal(typeof p.name, 'string');
  assert.ok([...p.name].length <= 10, p.name);
  assert.ok(Number.isInteger(p.age) && p.age >= 1 && p.age <= 99, String(p.age));
  assert.ok(['happy', 'sad'].includes(p.mood));
  return p;
}

for (const seed of [1, 2, 3]) {
  await check(`openai: chat response_format json_schema (strict) validates, seed ${seed}`, async () => {
    const r = await openai.chat.completions.create({ model, messages: user('Tell me about Lily.'), max_tokens: 200,
      temperature: 1, seed, response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: person } } });
    assert.equal(r.choices[0].finish_reason, 'stop');
    validPerson(r.choices[0].message.content);
  });
}

await check('openai: streamed json_schema reply validates once joined', async () => {
  const stream = await openai.chat.completions.create({ model, messages: user('Tell me about Tom.'), max_tokens: 200,
    temperature: 0.8, seed: 7, stream: true, response_format: { type: 'json_schema', json_schema: { name: 'person', schema: person } } });
  let text = '';
  for await (const c of stream) for (const ch of c.choices) if (ch.delta.content) text += ch.delta.content;
  validPerson(text);
});

await check('openai: json_object gives a JSON object (or a prefix of one when cut short)', async () => {
  const r = await openai.chat.completions.create({ model, messages: user('Once upon a time'), max_tokens: 300,
    temperature: 0, response_format: { type: 'json_object' } });
  const text = r.choices[0].message.content;
  if (r.choices[0].finish_reason === 'stop') assert.equal(typeof JSON.parse(text), 'object');
  else assert.match(text, /^\{/);
});

await check('llama.cpp fields: completions with grammar, chat with json_schema', async () => {
  const c = await openai.completions.create({ model, prompt: 'The answer is', max_tokens: 40, temperature: 0,
    grammar: 'root ::= ("yes" | "no") "!"' });
  assert.match(c.choices[0].text, /^(yes|no)!$/);
  const r = await openai.chat.completions.create({ model, messages: user('Lily?'), max_tokens: 200, temperature: 0,
    json_schema: person });
  validPerson(r.choices[0].message.content);
});

await check('ollama: format schema and format "json"', async () => {
  const r = await ollama.chat({ model, messages: user('Tell me about Sue.'), format: person, options: { temperature: 0, num_predict: 200 } });
  validPerson(r.message.content);
  const g = await ollama.generate({ model, prompt: 'A list:', format: { type: 'array', items: { type: 'integer', maximum: 9 }, maxItems: 3 },
    options: { temperature: 0, num_predict: 60 } });
  const arr = JSON.parse(g.response);
  assert.ok(Array.isArray(arr) && arr.length <= 3 && arr.every((x) => Number.isInteger(x) && x <= 9), g.response);
});

await check('malformed schemas and grammars: 400 naming the field', async () => {
  const post = (body) => fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: user('hi'), ...body }) });
  let r = await post({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', format: 'email' } } } });
  assert.equal(r.status, 400);
  let e = (await r.json()).error;
  assert.equal(e.param, 'response_format.json_schema.schema');
  assert.match(e.message, /format 'email'/);
  r = await post({ response_format: { type: 'yaml' } });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.param, 'response_format.type');
  r = await post({ grammar: 'root ::= [a-' });
  assert.equal(r.status, 400);
  e = (await r.json()).error;
  assert.equal(e.param, 'grammar');
  assert.match(e.message, /line 1, column/);
  r = await post({ json_schema: { type: 'object', propertyNames: { pattern: '^a$' } } });
  assert.equal(r.status, 400);
  assert.match((await r.json()).error.message, /propertyNames/);
});

srv.kill('SIGTERM');
await new Promise((r) => srv.on('exit', r));
if (failed) { console.log(`${failed} check(s) failed`); process.exit(1); }
console.log('all structured-output checks passed');
