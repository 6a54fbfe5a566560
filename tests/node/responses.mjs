// The OpenAI Responses API on a local model through the official `openai` client, unmodified:
// a function-tool loop (call, function_call_output, answer) streaming and not, continued with
// previous_response_id so the client never resends history; instructions, text.format, store
// false, retrieve and delete; bad requests refused naming the field.
// Usage: node tests/node/responses.mjs HEARTH_BIN MODEL.gguf TEMPLATE.jinja
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startServe } from './serve_process.mjs';

const [bin, modelPath, template] = process.argv.slice(2);
if (!bin || !modelPath || !template) { console.error('usage: responses.mjs HEARTH_BIN MODEL.gguf TEMPLATE.jinja'); process.exit(2); }

let failed = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failed++; console.log(`not ok - ${name}: ${e.stack || e}`); }
}
const model = 'tiny';
const { base, home, stop } = await startServe(bin, ['-m', modelPath, '--alias', model, '--port', '0', '--ctx-size', '2048',
  '--chat-template-file', template], 'hearth-responses-');
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });

const tools = [{ type: 'function', name: 'get_weather', description: 'Forecast for a city', strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] }, days: { type: 'integer', minimum: 1, maximum: 3 } },
    required: ['city', 'days'], additionalProperties: false } }];
function validCall(item) {
  assert.equal(item.type, 'function_call');
  assert.equal(item.name, 'get_weather');
  assert.ok(item.call_id.startsWith('call_'));
  const a = JSON.parse(item.arguments);
  assert.ok(['Paris', 'Oslo'].includes(a.city) && a.days >= 1 && a.days <= 3, item.arguments);
}

await check('responses: tool loop with previous_response_id (no history resent)', async () => {
  const r1 = await client.responses.create({ model, input: 'Weather in Oslo?', instructions: 'Use the tools.', tools,
    tool_choice: 'required', parallel_tool_calls: false, max_output_tokens: 300 });
  assert.equal(r1.object, 'response');
  assert.equal(r1.status, 'completed');
  assert.ok(r1.id.startsWith('resp_'));
  const call = r1.output.find((o) => o.type === 'function_call');
  validCall(call);
  const r2 = await client.responses.create({ model, previous_response_id: r1.id, tools, max_output_tokens: 8,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"forecast":"snow"}' }] });
  assert.equal(r2.previous_response_id, r1.id);
  assert.ok(r2.usage.input_tokens > r1.usage.input_tokens, 'the stored turn is part of the prompt');
  const r3 = await client.responses.create({ model, previous_response_id: r2.id, tools, input: 'And tomorrow?', max_output_tokens: 4 });
  assert.ok(r3.usage.input_tokens > r2.usage.input_tokens);
  assert.equal(typeof r3.output_text, 'string');
});

await check('responses: streamed events in order; the streamed response can be continued', async () => {
  const stream = await client.responses.create({ model, input: 'Weather in Paris?', tools, tool_choice: 'required',
    parallel_tool_calls: false, max_output_tokens: 300, stream: true });
  const types = [];
  let args = '', done = null, seq = -1;
  for await (const ev of stream) {
    types.push(ev.type);
    assert.equal(ev.sequence_number, seq + 1);
    seq = ev.sequence_number;
    if (ev.type === 'response.function_call_arguments.delta') args += ev.delta;
    if (ev.type === 'response.completed') done = ev.response;
  }
  assert.deepEqual(types.slice(0, 3), ['response.created', 'response.in_progress', 'response.output_item.added']);
  assert.ok(types.includes('response.function_call_arguments.done'));
  assert.equal(types.at(-1), 'response.completed');
  const call = done.output.find((o) => o.type === 'function_call');
  validCall(call);
  assert.equal(call.arguments, args);
  const text = await client.responses.create({ model, previous_response_id: done.id, stream: true, max_output_tokens: 6,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: 'rain' }] });
  let deltas = '', final = null;
  for await (const ev of text) {
    if (ev.type === 'response.output_text.delta') deltas += ev.delta;
    if (ev.type === 'response.completed' || ev.type === 'response.incomplete') final = ev.response;
  }
  assert.equal(final.output.find((o) => o.type === 'message').content[0].text, deltas);
});

await check('responses: retrieve, delete, store false and the retention folder', async () => {
  const r = await client.responses.create({ model, input: 'hi', max_output_tokens: 3 });
  const got = await client.responses.retrieve(r.id);
  assert.equal(got.id, r.id);
  assert.deepEqual(got.output, r.output);
  assert.ok(readdirSync(join(home, 'responses')).includes(`${r.id}.json`));
  await client.responses.delete(r.id);
  await assert.rejects(client.responses.retrieve(r.id), (e) => e.status === 404);
  const unstored = await client.responses.create({ model, input: 'hi', max_output_tokens: 3, store: false });
  assert.equal(unstored.store, false);
  await assert.rejects(client.responses.create({ model, input: 'again', previous_response_id: unstored.id }),
    (e) => e.status === 404 && /previous_response_id/.test(e.param ?? e.error?.param ?? ''));
});

await check('responses: text.format json_schema gives output_text that validates', async () => {
  const r = await client.responses.create({ model, input: 'A city.', max_output_tokens: 200,
    text: { format: { type: 'json_schema', name: 'city', strict: true,
      schema: { type: 'object', properties: { name: { enum: ['Paris', 'Oslo'] }, size: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['name', 'size'] } } } });
  const j = JSON.parse(r.output_text);
  assert.deepEqual(Object.keys(j), ['name', 'size']);
  assert.ok(['Paris', 'Oslo'].includes(j.name));
});

await check('responses: bad requests are 400 naming the field', async () => {
  const post = (body) => fetch(`${base}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, ...body }) }).then(async (r) => [r.status, (await r.json()).error]);
  let [status, e] = await post({ input: 'hi', tools: [{ type: 'web_search' }] });
  assert.equal(status, 400);
  assert.equal(e.param, 'tools[0].type');
  [status, e] = await post({ input: [{ type: 'item_reference', id: 'x' }] });
  assert.equal(status, 400);
  assert.equal(e.param, 'input[0].type');
  [status, e] = await post({});
  assert.equal(status, 400);
  assert.equal(e.param, 'input');
  [status, e] = await post({ input: 'hi', text: { format: { type: 'yaml' } } });
  assert.equal(e.param, 'text.format.type');
});

await stop();
if (failed) { console.log(`${failed} failed`); process.exit(1); }
console.log('all responses checks passed');
