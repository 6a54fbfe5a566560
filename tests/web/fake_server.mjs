// A stand-in for `hearth serve` used by e2e.mjs until the real server exists: serves the built UI
// and fakes GET /v1/models and a streamed POST /v1/chat/completions. What it streams depends on
// the last user message, so the browser test can drive each case:
//   contains "slow"  -> many small deltas, 150 ms apart (for the Stop button)
//   contains "long"  -> a reply cut off with finish_reason "length"
//   contains "fail"  -> HTTP 400 with an OpenAI-style {"error":{"message"}} body
//   anything else    -> a Markdown reply with a Python code block and an XSS attempt, sent in
//                       chunks that split SSE lines and UTF-8 characters at odd places
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

export async function startFakeServer(distDir) {
  const state = { requests: [], replies: 0 };
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x');
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [
          { id: 'fake-chat-7b', object: 'model', owned_by: 'hearth', created: 1700000000, context_length: 8192 },
          { id: 'fake-other', object: 'model', owned_by: 'hearth', created: 1700000000 },
        ] }));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/api/version') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"version":"0.0.0-fake"}');
        return;
      }
      if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
        let raw = '';
        for await (const part of req) raw += part;
        const body = JSON.parse(raw);
        state.requests.push({ headers: req.headers, body });
        return chat(body, res, state, req);
      }
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      const rel = url.pathname === '/' ? 'index.html' : normalize(url.pathname).replace(/^[/\\]+/, '');
      if (rel.startsWith('..')) throw Object.assign(new Error('bad path'), { code: 'ENOENT' });
      const data = await readFile(join(distDir, rel));
      res.writeHead(200, { 'Content-Type': TYPES[extname(rel)] ?? 'application/octet-stream' });
      res.end(data);
    } catch (e) {
      res.writeHead(e.code === 'ENOENT' ? 404 : 500, { 'Content-Type': 'text/plain' });
      res.end(String(e.message));
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, state, close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }) };
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const sse = (model, delta, finish = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

async function chat(body, res, state, req) {
  const last = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last.includes('fail')) {
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'context length exceeded: 9000 > 8192 tokens', type: 'invalid_request_error' } }));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  let closed = false;
  res.on('close', () => (closed = true)); // the client went away (e.g. the Stop button)
  const n = ++state.replies;
  if (last.includes('slow')) {
    state.slowAborted = false;
    for (let i = 0; i < 200; i++) {
      if (closed) {
        state.slowAborted = true;
        return;
      }
      res.write(sse(body.model, { content: `word${i} ` }));
      await sleep(150);
    }
    res.end(sse(body.model, {}, 'stop') + 'data: [DONE]\n\n');
    return;
  }
  if (last.includes('long')) {
    res.end(sse(body.model, { content: 'This reply goes on and on' }) + sse(body.model, {}, 'length') + 'data: [DONE]\n\n');
    return;
  }
  const reply = `Reply number ${n} — naïve café.\n\n\`\`\`python\ndef greet(name):\n    return f"hello {name}"\n\`\`\`\n\n<img src=x onerror="window.__xss=1">**done**`;
  const words = reply.match(/.{1,7}/gs);
  let text = sse(body.model, { role: 'assistant', content: '' });
  for (const w of words) text += sse(body.model, { content: w });
  text += sse(body.model, {}, 'stop') + 'data: [DONE]\n\n';
  // Write raw bytes in 13-byte pieces: splits JSON, SSE lines and multi-byte characters.
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length && !closed; i += 13) {
    res.write(bytes.subarray(i, i + 13));
    if (i % 130 === 0) await sleep(5);
  }
  res.end();
}
