// Reasoning on a local model through the official clients: a <think> block goes to OpenAI's
// reasoning_content, Anthropic thinking blocks and Ollama's thinking, streaming and not, and the
// switches (reasoning_effort, chat_template_kwargs.enable_thinking, Anthropic thinking, Ollama
// think) reach the template. The model has random weights, so where the text matters a grammar
// writes it.
// Usage: node tests/node/reasoning.mjs HEARTH_BIN MODEL.gguf TEMPLATES_DIR
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import { startServe } from './serve_process.mjs';
import { readReasoningStream } from './tool_fixtures.mjs';

const [bin, modelPath, templates] = process.argv.slice(2);
if (!bin || !modelPath || !templates) { console.error('usage: reasoning.mjs HEARTH_BIN MODEL.gguf TEMPLATES_DIR'); process.exit(2); }

let failed = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failed++; console.log(`not ok - ${name}: ${e.stack || e}`); }
}
const model = 'tiny';
const serveArgs = ['-m', modelPath, '--alias', model, '--port', '0', '--ctx-size', '2048'];
const user = (text) => [{ role: 'user', content: text }];
// Reasoning, the closing tag, then the answer (the prompt has opened the block already).
const grammar = 'root ::= "plan it" "</think>" "\\n\\nthe answer"';

{
  // DeepSeek-R1 (distilled on Qwen): the generation prompt opens <think> when thinking is on.
  const { base, stop } = await startServe(bin, [...serveArgs, '--chat-template-file', `${templates}/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja`], 'hearth-reason-');
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
  const ollama = new Ollama({ host: base });

  await check('openai: the <think> block is reasoning_content, the rest content', async () => {
    const r = await openai.chat.completions.create({ model, messages: user('2+2?'), max_tokens: 40, grammar,
      chat_template_kwargs: { enable_thinking: true } });
    assert.equal(r.choices[0].message.reasoning_content, 'plan it');
    assert.equal(r.choices[0].message.content, 'the answer');
  });
  await check('openai: streamed reasoning_content deltas, then content deltas', async () => {
    const stream = await openai.chat.completions.create({ model, messages: user('2+2?'), max_tokens: 40, grammar,
      reasoning_effort: 'high', stream: true });
    const { reasoning, content, order } = await readReasoningStream(stream);
    assert.equal(reasoning, 'plan it');
    assert.equal(content, 'the answer');
    assert.ok(order.indexOf('c') > order.lastIndexOf('r'), order.join(''));
  });
  await check('openai: reasoning_effort none closes the block in the prompt, so all is content', async () => {
    const r = await openai.chat.completions.create({ model, messages: user('2+2?'), max_tokens: 6, seed: 1, reasoning_effort: 'none' });
    assert.equal(r.choices[0].message.reasoning_content, undefined);
    assert.ok(r.choices[0].message.content.length > 0);
    const on = await openai.chat.completions.create({ model, messages: user('2+2?'), max_tokens: 6, seed: 1, reasoning_effort: 'low' });
    assert.ok(r.usage.prompt_tokens > on.usage.prompt_tokens, 'the closing tag is in the prompt');
  });
  await check('anthropic: thinking enabled gives a thinking block (streamed too)', async () => {
    const r = await anthropic.messages.create({ model, max_tokens: 8, messages: user('2+2?'), thinking: { type: 'enabled', budget_tokens: 1024 } });
    const t = r.content.find((b) => b.type === 'thinking');
    assert.ok(t && t.thinking.length > 0, JSON.stringify(r.content));
    const final = await anthropic.messages.stream({ model, max_tokens: 8, messages: user('2+2?'), thinking: { type: 'enabled', budget_tokens: 1024 } }).finalMessage();
    assert.ok(final.content.some((b) => b.type === 'thinking' && b.thinking.length > 0), JSON.stringify(final.content));
  });
  await check('ollama: think true fills message.thinking; think false leaves it out', async () => {
    const on = await ollama.chat({ model, messages: user('2+2?'), think: true, options: { num_predict: 8, seed: 3 }, stream: false });
    assert.ok(on.message.thinking?.length > 0, JSON.stringify(on.message));
    const off = await ollama.chat({ model, messages: user('2+2?'), think: false, options: { num_predict: 8, seed: 3 }, stream: false });
    assert.ok(!off.message.thinking, JSON.stringify(off.message));
    assert.ok(off.message.content.length > 0);
  });
  await check('bad switches are refused naming the field', async () => {
    const r = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: user('hi'), reasoning_effort: 'lots' }) });
    assert.equal(r.status, 400);
    assert.match((await r.json()).error.message, /reasoning_effort/);
  });
  await stop();
}

{
  // Qwen3: enable_thinking false writes an empty block into the prompt; the reply is all answer.
  const { base, stop } = await startServe(bin, [...serveArgs, '--chat-template-file', `${templates}/Qwen-Qwen3-0.6B.jinja`], 'hearth-reason-');
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  await check('qwen3: enable_thinking false adds the empty block; a <think> reply is split', async () => {
    const off = await openai.chat.completions.create({ model, messages: user('hi'), max_tokens: 4, chat_template_kwargs: { enable_thinking: false } });
    const on = await openai.chat.completions.create({ model, messages: user('hi'), max_tokens: 4 });
    assert.ok(off.usage.prompt_tokens > on.usage.prompt_tokens);
    const r = await openai.chat.completions.create({ model, messages: user('hi'), max_tokens: 40,
      grammar: 'root ::= "<think>\\nhmm\\n</think>\\n\\nhello"' });
    assert.equal(r.choices[0].message.reasoning_content, '\nhmm\n');
    assert.equal(r.choices[0].message.content, 'hello');
  });
  await stop();
}

if (failed) { console.log(`${failed} failed`); process.exit(1); }
console.log('all reasoning checks passed');
