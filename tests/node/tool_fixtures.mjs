// Shared by the tool-call tests: two tools whose schemas leave little room (enums, bounds), the
// check that a call's arguments fit them, and the reader of a streamed chat reply's reasoning and
// content deltas.
import assert from 'node:assert/strict';

const weatherSchema = {
  type: 'object',
  properties: {
    city: { type: 'string', enum: ['Paris', 'Rome', 'Oslo'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
  },
  required: ['city', 'days'],
};
const timeSchema = {
  type: 'object',
  properties: { zone: { type: 'string', enum: ['UTC', 'CET'] }, precise: { type: 'boolean' } },
  required: ['zone', 'precise'],
};
export const tools = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather forecast for a city', parameters: weatherSchema } },
  { type: 'function', function: { name: 'get_time', description: 'Current time in a zone', parameters: timeSchema } },
];
export function validArgs(name, text) {
  const a = JSON.parse(text);
  if (name === 'get_weather') {
    assert.ok(['Paris', 'Rome', 'Oslo'].includes(a.city), text);
    assert.ok(Number.isInteger(a.days) && a.days >= 1 && a.days <= 7, text);
  } else {
    assert.equal(name, 'get_time');
    assert.ok(['UTC', 'CET'].includes(a.zone), text);
    assert.equal(typeof a.precise, 'boolean', text);
  }
  return a;
}

// Joins a streamed chat completion's reasoning_content and content deltas; `order` has an 'r' or
// a 'c' per delta, so a test can check reasoning came first.
export async function readReasoningStream(stream) {
  let reasoning = '', content = '';
  const order = [];
  for await (const c of stream) for (const ch of c.choices) {
    if (ch.delta.reasoning_content) { reasoning += ch.delta.reasoning_content; order.push('r'); }
    if (ch.delta.content) { content += ch.delta.content; order.push('c'); }
  }
  return { reasoning, content, order };
}
