// Tool calls on a local model through the official clients, unmodified: for every tool-call
// family (each family's real chat template on a random-weight model with the real Qwen2
// vocabulary) `tool_choice: required` and a named choice always give a parsed call whose
// arguments validate; then multi-turn tool loops (call, result, answer) with openai
// chat.completions (streaming and not), @anthropic-ai/sdk tool_use and the ollama client; bad
// tools are refused naming the field.
// Usage: node tests/node/tool_calls.mjs HEARTH_BIN MODEL.gguf TEMPLATES_DIR
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import { startServe } from './serve_process.mjs';
import { tools, validArgs } from './tool_fixtures.mjs';

const [bin, modelPath, templates] = process.argv.slice(2);
if (!bin || !modelPath || !templates) { console.error('usage: tool_calls.mjs HEARTH_BIN MODEL.gguf TEMPLATES_DIR'); process.exit(2); }

let failed = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failed++; console.log(`not ok - ${name}: ${e.stack || e}`); }
}


// Family -> a shared template that writes calls that way.
const families = {
  'hermes (Qwen2.5)': 'Qwen-Qwen2.5-7B-Instruct.jinja',
  'hermes (Qwen3)': 'Qwen-Qwen3-0.6B.jinja',
  'hermes (Hermes 2 Pro)': 'NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja',
  'qwen3-coder': 'Qwen3-Coder.jinja',
  'llama3 (Llama 3.1)': 'meta-llama-Llama-3.1-8B-Instruct.jinja',
  'mistral (Nemo)': 'mistralai-Mistral-Nemo-Instruct-2407.jinja',
  'mistral-args (Small 3.2)': 'Mistral-Small-3.2-24B-Instruct-2506.jinja',
  'generic (Gemma 2, no tools in its template)': 'google-gemma-2-2b-it.jinja',
};
const serveArgs = ['-m', modelPath, '--alias', 'tiny', '--port', '0', '--parallel', '2', '--ctx-size', '2048'];
const model = 'tiny';
const user = (text) => [{ role: 'user', content: text }];

for (const [family, file] of Object.entries(families)) {
  const { base, stop } = await startServe(bin, [...serveArgs, '--chat-template-file', `${templates}/${file}`], 'hearth-tools-');
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  // Two seeds for the first family; one for the rest keeps the test short (the grammar, not luck,
  // makes every call parse: tests/engine/tool_calls_test.cpp checks each syntax's grammar).
  for (const seed of family.startsWith('hermes (Qwen2.5)') ? [1, 2] : [1]) {
    await check(`${family}: tool_choice required gives a call that validates (seed ${seed})`, async () => {
      const r = await openai.chat.completions.create({ model, messages: user('What is the weather in Paris?'), tools,
        tool_choice: 'required', parallel_tool_calls: false, max_tokens: 400, temperature: 1, seed });
      const m = r.choices[0].message;
      assert.equal(m.tool_calls?.length, 1, JSON.stringify(m));
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      const c = m.tool_calls[0];
      assert.equal(c.type, 'function');
      assert.ok(c.id.length >= 9, c.id);
      validArgs(c.function.name, c.function.arguments);
    });
  }
  await check(`${family}: a named tool_choice calls that tool`, async () => {
    const r = await openai.chat.completions.create({ model, messages: user('What time is it?'), tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } }, parallel_tool_calls: false, max_tokens: 400, seed: 5 });
    const c = r.choices[0].message.tool_calls?.[0];
    assert.ok(c, JSON.stringify(r.choices[0].message));
    assert.equal(c.function.name, 'get_time');
    validArgs('get_time', c.function.arguments);
  });
  await check(`${family}: the call and its result go back through the template`, async () => {
    const first = await openai.chat.completions.create({ model, messages: user('Weather in Rome?'), tools,
      tool_choice: 'required', parallel_tool_calls: false, max_tokens: 400, seed: 9 });
    const call = first.choices[0].message.tool_calls[0];
    const second = await openai.chat.completions.create({ model, tools, max_tokens: 8, seed: 9, tool_choice: 'none',
      messages: [...user('Weather in Rome?'), first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' }] });
    assert.equal(second.choices[0].message.tool_calls, undefined);
    assert.equal(typeof second.choices[0].message.content, 'string');
    assert.ok(second.usage.prompt_tokens > first.usage.prompt_tokens, 'the second prompt holds the call and result');
  });
  await stop();
}

// The loops, on one family.
{
  const { base, stop } = await startServe(bin, [...serveArgs, '--chat-template-file', `${templates}/Qwen-Qwen2.5-7B-Instruct.jinja`], 'hearth-tools-');
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
  const ollama = new Ollama({ host: base });

  await check('openai: chat.completions tool loop (call, result, answer)', async () => {
    const messages = user('What is the weather in Oslo?');
    const r1 = await openai.chat.completions.create({ model, messages, tools, tool_choice: 'required', max_tokens: 400, seed: 11 });
    const calls = r1.choices[0].message.tool_calls;
    assert.ok(calls.length >= 1);
    messages.push(r1.choices[0].message);
    for (const c of calls) {
      validArgs(c.function.name, c.function.arguments);
      messages.push({ role: 'tool', tool_call_id: c.id, content: JSON.stringify({ forecast: 'snow' }) });
    }
    const r2 = await openai.chat.completions.create({ model, messages, tools, max_tokens: 12, seed: 11 });
    assert.ok(['stop', 'length', 'tool_calls'].includes(r2.choices[0].finish_reason));
    assert.equal(r2.choices[0].message.role, 'assistant');
  });

  await check('openai: streamed tool call arrives as deltas (index, id, name, arguments) and validates', async () => {
    const stream = await openai.chat.completions.create({ model, messages: user('Weather in Paris?'), tools,
      tool_choice: 'required', parallel_tool_calls: false, max_tokens: 400, seed: 4, stream: true });
    const calls = [];
    let finish = null;
    for await (const chunk of stream) {
      for (const ch of chunk.choices) {
        for (const d of ch.delta.tool_calls ?? []) {
          calls[d.index] ??= { id: '', name: '', arguments: '' };
          if (d.id) calls[d.index].id = d.id;
          if (d.function?.name) calls[d.index].name += d.function.name;
          if (d.function?.arguments) calls[d.index].arguments += d.function.arguments;
        }
        if (ch.finish_reason) finish = ch.finish_reason;
      }
    }
    assert.equal(calls.length, 1);
    assert.ok(calls[0].id.startsWith('call_'));
    validArgs(calls[0].name, calls[0].arguments);
    assert.equal(finish, 'tool_calls');
  });

  await check('anthropic: tool_use, tool_result, answer (and streamed input_json_delta)', async () => {
    const atools = tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: t.function.parameters }));
    const messages = [{ role: 'user', content: 'Time in CET?' }];
    const r1 = await anthropic.messages.create({ model, max_tokens: 400, messages, tools: atools,
      tool_choice: { type: 'tool', name: 'get_time', disable_parallel_tool_use: true } });
    assert.equal(r1.stop_reason, 'tool_use');
    const use = r1.content.find((b) => b.type === 'tool_use');
    assert.ok(use, JSON.stringify(r1.content));
    assert.equal(use.name, 'get_time');
    validArgs('get_time', JSON.stringify(use.input));
    messages.push({ role: 'assistant', content: r1.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '10:30' }] });
    const r2 = await anthropic.messages.create({ model, max_tokens: 12, messages, tools: atools });
    assert.ok(['end_turn', 'max_tokens', 'tool_use'].includes(r2.stop_reason));

    const stream = anthropic.messages.stream({ model, max_tokens: 400, messages: [{ role: 'user', content: 'Weather?' }],
      tools: atools, tool_choice: { type: 'any', disable_parallel_tool_use: true } });
    const final = await stream.finalMessage();
    const streamed = final.content.find((b) => b.type === 'tool_use');
    assert.ok(streamed, JSON.stringify(final.content));
    validArgs(streamed.name, JSON.stringify(streamed.input));
  });

  await check('ollama: tools give message.tool_calls with object arguments, and the result goes back', async () => {
    const messages = [{ role: 'user', content: 'Weather in Rome for 3 days?' }];
    const r1 = await ollama.chat({ model, messages, tools, options: { seed: 2, num_predict: 400 }, stream: false });
    // No tool_choice in Ollama's API: auto, so a random model may or may not call; force one via the OpenAI field.
    assert.equal(r1.message.role, 'assistant');
    const forced = await fetch(`${ollama.config.host}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, tools, tool_choice: 'required', stream: false, options: { seed: 2, num_predict: 400 } }) }).then((r) => r.json());
    const call = forced.message.tool_calls?.[0];
    assert.ok(call, JSON.stringify(forced));
    assert.equal(typeof call.function.arguments, 'object');
    validArgs(call.function.name, JSON.stringify(call.function.arguments));
    messages.push(forced.message, { role: 'tool', content: 'rain', tool_name: call.function.name });
    const r2 = await ollama.chat({ model, messages, tools, options: { seed: 2, num_predict: 8 }, stream: false });
    assert.equal(r2.message.role, 'assistant');
  });

  await check('bad tools and choices are refused naming the field', async () => {
    const post = (body) => fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: user('hi'), max_tokens: 4, ...body }) });
    let r = await post({ tools: [{ type: 'function', function: { name: 'bad name!', parameters: { type: 'object' } } }] });
    assert.equal(r.status, 400);
    let e = (await r.json()).error;
    assert.equal(e.param, 'tools');
    assert.match(e.message, /tools\[0\]\.function\.name/);
    r = await post({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string', contains: {} } } } } }] });
    e = (await r.json()).error;
    assert.equal(r.status, 400);
    assert.match(e.message, /tools\[0\]\.function\.parameters.*contains/);
    r = await post({ tools, tool_choice: { type: 'function', function: { name: 'nope' } } });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.param, 'tool_choice');
    r = await post({ tools, tool_choice: 'required', response_format: { type: 'json_object' } });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.param, 'response_format');
  });
  await stop();
}

if (failed) { console.log(`${failed} failed`); process.exit(1); }
console.log('all tool-call checks passed');
