// Helper of pack_serve.sh: talks to a packed executable's server with the official openai client.
// Usage: node pack_openai.mjs BASE_URL [API_KEY]
import OpenAI from "openai";

const [base, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: apiKey || "none" });
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };

const models = await client.models.list();
if (!models.data.length) fail("no models listed");
const model = models.data[0].id;

const r = await client.chat.completions.create({
  model, max_tokens: 24, temperature: 0,
  messages: [{ role: "user", content: "Once upon a time" }],
});
const text = r.choices[0]?.message?.content ?? "";
if (!text.length) fail("empty completion");
if (!r.usage || r.usage.completion_tokens < 1) fail(`no usage: ${JSON.stringify(r.usage)}`);

const stream = await client.chat.completions.create({
  model, max_tokens: 16, temperature: 0, stream: true,
  messages: [{ role: "user", content: "Tell me a story" }],
});
let streamed = "", chunks = 0;
for await (const c of stream) { chunks++; streamed += c.choices[0]?.delta?.content ?? ""; }
if (chunks < 2 || !streamed.length) fail(`stream gave ${chunks} chunks, text '${streamed}'`);
console.log(JSON.stringify({ model, text, streamed }));
