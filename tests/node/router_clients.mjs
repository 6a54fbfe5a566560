// The official `openai` and `@anthropic-ai/sdk` clients, unmodified, against `hearth gateway`
// routing to a fake OpenAI-compatible upstream on loopback.
// Usage: node tests/node/router_clients.mjs [path/to/hearth]   (or HEARTH_BIN)
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const bin = process.argv[2] || process.env.HEARTH_BIN;
if (!bin) { console.error('usage: router_clients.mjs HEARTH_BIN'); process.exit(2); }

// Fake upstream: answers "Hello from upstream" (streamed in pieces when asked), or a tool call
// when the request offers tools.
const chunk = (delta, finish = null) => ({ id: 'up-1', object: 'chat.completion.chunk', created: 1, model: 'up',
  choices: [{ index: 0, delta, finish_reason: finish }] });
let lastUpstream = null;  // the last chat request the upstream received
const upstream = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const j = JSON.parse(body);
    lastUpstream = j;
    const tools = Array.isArray(j.tools) && j.tools.length > 0;
    if (!j.stream) {
      const message = tools
        ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: j.tools[0].function.name, arguments: '{"city":"Oslo"}' } }] }
        : { role: 'assistant', content: 'Hello from upstream' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'up-1', object: 'chat.completion', created: 1, model: j.model,
        choices: [{ index: 0, message, finish_reason: tools ? 'tool_calls' : 'stop' }],
        usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (o) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    send(chunk({ role: 'assistant', content: '' }));
    if (tools) {
      send(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: j.tools[0].function.name, arguments: '' } }] }));
      send(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }));
      send(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }));
      send(chunk({}, 'tool_calls'));
    } else {
      for (const piece of ['Hello', ' from', ' upstream']) send(chunk({ content: piece }));
      send(chunk({}, 'stop'));
    }
    send({ id: 'up-1', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [], usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } });
    res.end('data: [DONE]\n\n');
  });
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upPort = upstream.address().port;

const dir = mkdtempSync(join(tmpdir(), 'hearth-router-node-'));
const cfg = join(dir, 'router.yaml');
writeFileSync(cfg, `providers:
  fake: {type: openai, base_url: 'http://127.0.0.1:${upPort}/v1', timeout_ms: 5000}
models:
  - {name: smart, provider: fake, model: up-model, input_price: 1, output_price: 2}
ledger_dir: '${join(dir, 'ledger')}'
`);

const gw = spawn(bin, ['gateway', '--config', cfg, '--port', '0', '--api-key', 'test-key'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HEARTH_HOME: dir } });
const port = await new Promise((resolve, reject) => {
  let out = '';
  const t = setTimeout(() => reject(new Error('gateway did not start')), 15000);
  gw.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    if (m) { clearTimeout(t); resolve(Number(m[1])); }
  });
  gw.on('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
});

let failed = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failed++; console.log(`not ok - ${name}: ${e.stack || e}`); }
}

const base = `http://127.0.0.1:${port}`;
const openai = new OpenAI({ apiKey: 'test-key', baseURL: `${base}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: 'test-key', baseURL: base, maxRetries: 0 });

await check('openai chat non-stream', async () => {
  const r = await openai.chat.completions.create({ model: 'smart', messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hi' }] });
  assert.equal(r.choices[0].message.content, 'Hello from upstream');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.usage.prompt_tokens, 11);
  assert.equal(r.hearth.provider, 'fake');
});

await check('openai chat stream with usage', async () => {
  const s = await openai.chat.completions.create({ model: 'fake:up-model', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
  let text = '', finish = null, usage = null;
  for await (const c of s) {
    if (c.choices.length) { text += c.choices[0].delta.content || ''; finish = c.choices[0].finish_reason || finish; }
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, 'Hello from upstream');
  assert.equal(finish, 'stop');
  assert.equal(usage.completion_tokens, 4);
});

await check('openai streamed tool call fragments', async () => {
  const s = await openai.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'weather?' }], stream: true,
    tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }] });
  let args = '', name = '';
  for await (const c of s) for (const tc of c.choices[0]?.delta?.tool_calls || []) { args += tc.function?.arguments || ''; name = tc.function?.name || name; }
  assert.equal(name, 'weather');
  assert.deepEqual(JSON.parse(args), { city: 'Oslo' });
});

await check('openai wrong key is rejected', async () => {
  const bad = new OpenAI({ apiKey: 'nope', baseURL: `${base}/v1`, maxRetries: 0 });
  await assert.rejects(bad.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }), (e) => e.status === 401);
});

await check('openai unknown model is a 404', async () => {
  await assert.rejects(openai.chat.completions.create({ model: 'nowhere:x', messages: [{ role: 'user', content: 'hi' }] }), (e) => e.status === 404);
});

await check('openai models list', async () => {
  const ids = [];
  for await (const m of openai.models.list()) ids.push(m.id);
  assert.ok(ids.includes('smart'));
});

await check('anthropic messages non-stream', async () => {
  const m = await anthropic.messages.create({ model: 'smart', max_tokens: 64, system: 'be nice', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(m.type, 'message');
  assert.equal(m.content[0].type, 'text');
  assert.equal(m.content[0].text, 'Hello from upstream');
  assert.equal(m.stop_reason, 'end_turn');
  assert.equal(m.usage.output_tokens, 4);
});

await check('anthropic messages stream', async () => {
  const stream = anthropic.messages.stream({ model: 'smart', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
  const types = [];
  stream.on('streamEvent', (e) => types.push(e.type));
  let text = '';
  stream.on('text', (t) => { text += t; });
  const final = await stream.finalMessage();
  assert.equal(text, 'Hello from upstream');
  assert.equal(final.content[0].text, 'Hello from upstream');
  assert.equal(final.stop_reason, 'end_turn');
  assert.equal(types[0], 'message_start');
  assert.equal(types.at(-1), 'message_stop');
});

await check('anthropic streamed tool use', async () => {
  const stream = anthropic.messages.stream({ model: 'smart', max_tokens: 64, messages: [{ role: 'user', content: 'weather?' }],
    tools: [{ name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }] });
  const final = await stream.finalMessage();
  const tool = final.content.find((b) => b.type === 'tool_use');
  assert.equal(tool.name, 'weather');
  assert.deepEqual(tool.input, { city: 'Oslo' });
  assert.equal(final.stop_reason, 'tool_use');
});

// The Responses API through the router: an upstream with only chat completions answers it, and
// the conversation is kept by hearth (the upstream receives the history it never stored).
await check('openai responses through the router, with tools and previous_response_id', async () => {
  const r1 = await openai.responses.create({ model: 'smart', input: 'weather?', instructions: 'Be brief.',
    tools: [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] });
  const call = r1.output.find((o) => o.type === 'function_call');
  assert.equal(call.name, 'weather');
  assert.equal(call.arguments, '{"city":"Oslo"}');
  assert.equal(lastUpstream.messages[0].role, 'system');
  const r2 = await openai.responses.create({ model: 'smart', previous_response_id: r1.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: 'snow' }] });
  assert.equal(r2.output_text, 'Hello from upstream');
  const roles = lastUpstream.messages.map((m) => m.role);
  assert.deepEqual(roles, ['user', 'assistant', 'tool'], JSON.stringify(lastUpstream.messages));
  assert.equal(lastUpstream.messages[1].tool_calls[0].id, call.call_id);
  const stream = await openai.responses.create({ model: 'smart', input: 'hi', stream: true });
  let text = '';
  for await (const ev of stream) if (ev.type === 'response.output_text.delta') text += ev.delta;
  assert.equal(text, 'Hello from upstream');
});

gw.kill('SIGTERM');
upstream.close();
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
