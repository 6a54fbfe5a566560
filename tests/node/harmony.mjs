// gpt-oss's harmony replies through the official clients, unmodified, on a random-weight model
// with o200k_harmony's special tokens: with the model's own template and with the real gpt-oss
// template, tool_choice required / named always give one call that validates (non-streaming,
// streaming, Anthropic tool_use, the Responses API), the call and its result go back through the
// template, and no structure token (<|channel|>, <|message|>, ...) ever reaches the client. Where
// the text matters (analysis then final) a grammar writes it, and the analysis comes back as
// reasoning, streaming and not.
// Usage: node tests/node/harmony.mjs HEARTH_BIN MODEL.gguf GPT_OSS_TEMPLATE
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import { startServe } from './serve_process.mjs';
import { tools, validArgs, readReasoningStream } from './tool_fixtures.mjs';

const [bin, modelPath, realTemplate] = process.argv.slice(2);
if (!bin || !modelPath || !realTemplate) { console.error('usage: harmony.mjs HEARTH_BIN MODEL.gguf GPT_OSS_TEMPLATE'); process.exit(2); }

let failed = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failed++; console.log(`not ok - ${name}: ${e.stack || e}`); }
}

const noMarkup = (s) => assert.ok(!/<\|(channel|message|start|end|constrain|return|call)\|>/.test(s ?? ''), `markup leaked: ${s}`);
const model = 'tiny';
const user = (text) => [{ role: 'user', content: text }];
const serveArgs = ['-m', modelPath, '--alias', model, '--port', '0', '--parallel', '2', '--ctx-size', '2048'];

for (const [label, extra] of [['own template', []], ['gpt-oss template', ['--chat-template-file', realTemplate]]]) {
  const { base, stop } = await startServe(bin, [...serveArgs, ...extra], 'hearth-harmony-');
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });

  for (const seed of [1, 2, 3]) {
    await check(`${label}: tool_choice required gives one call that validates (seed ${seed})`, async () => {
      const r = await openai.chat.completions.create({ model, messages: user('What is the weather in Paris?'), tools,
        tool_choice: 'required', max_tokens: 300, temperature: 1, seed });
      const m = r.choices[0].message;
      assert.equal(m.tool_calls?.length, 1, JSON.stringify(m));
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      validArgs(m.tool_calls[0].function.name, m.tool_calls[0].function.arguments);
      noMarkup(m.content);
      noMarkup(m.reasoning_content);
    });
  }
  await check(`${label}: a named choice calls that tool, streamed as tool_calls deltas`, async () => {
    const stream = await openai.chat.completions.create({ model, messages: user('Time?'), tools, max_tokens: 300, seed: 4,
      tool_choice: { type: 'function', function: { name: 'get_time' } }, stream: true });
    const calls = [];
    let finish = null, content = '';
    for await (const chunk of stream) for (const ch of chunk.choices) {
      for (const d of ch.delta.tool_calls ?? []) {
        calls[d.index] ??= { id: '', name: '', arguments: '' };
        if (d.id) calls[d.index].id = d.id;
        if (d.function?.name) calls[d.index].name += d.function.name;
        if (d.function?.arguments) calls[d.index].arguments += d.function.arguments;
      }
      content += ch.delta.content ?? '';
      if (ch.finish_reason) finish = ch.finish_reason;
    }
    assert.equal(calls.length, 1);
    assert.equal(calls[0].name, 'get_time');
    validArgs('get_time', calls[0].arguments);
    assert.equal(finish, 'tool_calls');
    noMarkup(content);
  });
  await check(`${label}: the call and its result go back through the template`, async () => {
    const first = await openai.chat.completions.create({ model, messages: user('Weather in Rome?'), tools,
      tool_choice: 'required', max_tokens: 300, seed: 9, temperature: 0 });  // greedy: see the Responses check
    const call = first.choices[0].message.tool_calls[0];
    const second = await openai.chat.completions.create({ model, tools, max_tokens: 8, seed: 9, tool_choice: 'none',
      messages: [...user('Weather in Rome?'), first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' }] });
    assert.equal(second.choices[0].message.tool_calls, undefined);
    assert.ok(second.usage.prompt_tokens > first.usage.prompt_tokens, 'the second prompt holds the call and result');
  });
  await stop();
}

{
  const { base, stop } = await startServe(bin, [...serveArgs, '--chat-template-file', realTemplate], 'hearth-harmony-');
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
  const ollama = new Ollama({ host: base });
  // Analysis, then the final answer, as gpt-oss writes them (the structure tokens are single
  // tokens of the vocabulary; the grammar matches them by their text, so a random model may also
  // spell them out: room for that in max_tokens).
  const grammar = 'root ::= "<|channel|>analysis<|message|>" "plan it" "<|end|><|start|>assistant<|channel|>final<|message|>" "the answer"';

  await check('openai: the analysis channel is reasoning_content, the final channel content', async () => {
    const r = await openai.chat.completions.create({ model, messages: user('2+2?'), max_tokens: 200, grammar, reasoning_effort: 'high' });
    assert.equal(r.choices[0].message.reasoning_content, 'plan it');
    assert.equal(r.choices[0].message.content, 'the answer');
    assert.equal(r.choices[0].finish_reason, 'stop');
  });
  await check('openai: streamed reasoning deltas come before content deltas', async () => {
    const stream = await openai.chat.completions.create({ model, messages: user('2+2?'), max_tokens: 200, grammar, stream: true });
    const { reasoning, content, order } = await readReasoningStream(stream);
    assert.equal(reasoning, 'plan it');
    assert.equal(content, 'the answer');
    assert.ok(order.indexOf('c') > order.lastIndexOf('r'), order.join(''));
  });
  // Reasoning events reach Anthropic thinking blocks and Ollama's thinking the same way for every
  // family (tests/node/reasoning.mjs); here: calls on those APIs and the effort switch.
  await check('anthropic: tool_use with tool_choice any validates, no markup in text blocks', async () => {
    const atools = tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: t.function.parameters }));
    // Greedy: Anthropic requests carry no seed, and a random model may write a long analysis first.
    const u = await anthropic.messages.create({ model, max_tokens: 300, temperature: 0, messages: user('Weather?'), tools: atools, tool_choice: { type: 'any' } });
    assert.equal(u.stop_reason, 'tool_use');
    const use = u.content.find((b) => b.type === 'tool_use');
    assert.ok(use, JSON.stringify(u.content));
    validArgs(use.name, JSON.stringify(use.input));
    for (const b of u.content) if (b.type === 'text') noMarkup(b.text);
    for (const b of u.content) if (b.type === 'thinking') noMarkup(b.thinking);
  });
  await check('ollama: think "low" is taken (and "max" refused); a forced call has object arguments', async () => {
    const r = await ollama.chat({ model, messages: user('2+2?'), stream: false, think: 'low', options: { num_predict: 8, seed: 1 } });
    assert.equal(r.message.role, 'assistant');
    const bad = await fetch(`${base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: user('hi'), think: 'max', stream: false }) });
    assert.equal(bad.status, 400);
    const forced = await fetch(`${base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: user('Weather in Rome?'), tools, tool_choice: 'required', stream: false, options: { seed: 2, num_predict: 300 } }) }).then((x) => x.json());
    const call = forced.message.tool_calls?.[0];
    assert.ok(call, JSON.stringify(forced));
    assert.equal(typeof call.function.arguments, 'object');
    validArgs(call.function.name, JSON.stringify(call.function.arguments));
  });
  await check('responses: a required call comes back as a function_call item that validates', async () => {
    const rtools = tools.map((t) => ({ type: 'function', name: t.function.name, description: t.function.description, parameters: t.function.parameters }));
    // Greedy: a sampled analysis may fill the whole budget before the forced call (seen once under ASan).
    const r = await openai.responses.create({ model, input: 'Weather in Oslo?', tools: rtools, tool_choice: 'required', max_output_tokens: 300, temperature: 0 });
    const call = r.output.find((o) => o.type === 'function_call');
    assert.ok(call, JSON.stringify(r.output));
    validArgs(call.name, call.arguments);
    const r2 = await openai.responses.create({ model, previous_response_id: r.id, tools: rtools, max_output_tokens: 8, tool_choice: 'none',
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"forecast":"snow"}' }] });
    assert.equal(r2.status === 'completed' || r2.status === 'incomplete', true, r2.status);
    // (Free replies of a random model may hold stray structure tokens anywhere: not checked.)
  });
  await stop();
}

if (failed) { console.log(`${failed} failed`); process.exit(1); }
console.log('all harmony checks passed');
