// A stand-in for `hearth serve` used by e2e.mjs until the real server exists: serves the built UI
// and fakes GET /v1/models and a streamed POST /v1/chat/completions. What it streams depends on
// the last user message, so the browser test can drive each case:
//   contains "slow"  -> many small deltas, 150 ms apart (for the Stop button)
//   contains "long"  -> a reply cut off with finish_reason "length"
//   contains "fail"  -> HTTP 400 with an OpenAI-style {"error":{"message"}} body
//   anything else    -> a Markdown reply with a Python code block and an XSS attempt, sent in
//                       chunks that split SSE lines and UTF-8 characters at odd places
// It also keeps an in-memory copy of the memory API (/api/hearth/memory, as in
// src/server/memory_routes.h): list, search, get, add, edit, delete (tombstone) and undo, and
// answers the read-only eval runs API (/api/hearth/eval/runs, src/server/eval_routes.h) with two
// fixed runs.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

export async function startFakeServer(distDir) {
  const state = { requests: [], replies: 0, memories: [], undo: [], nextId: 1 };
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
      if (url.pathname === '/api/hearth/memory' || url.pathname.startsWith('/api/hearth/memory/')) {
        let raw = '';
        for await (const part of req) raw += part;
        const [status, body] = memoryApi(state, req.method, url, raw);
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
        return;
      }
      if (req.method === 'GET' && (url.pathname === '/api/hearth/eval/runs' || url.pathname.startsWith('/api/hearth/eval/runs/'))) {
        const [status, body] = evalApi(decodeURIComponent(url.pathname.slice('/api/hearth/eval/runs'.length).replace(/^\//, '')));
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
        return;
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

const KINDS = ['fact', 'preference', 'instruction', 'task', 'episode'];
const apiError = (status, message, type) => [status, { error: { message, type } }];

// Returns [status, body]. Undo restores the record as it was before the latest add/edit/delete.
function memoryApi(state, method, url, raw) {
  const rest = url.pathname.slice('/api/hearth/memory'.length).replace(/^\//, '');
  const live = () => state.memories.filter((m) => !m.deleted).sort((a, b) => b.updated.localeCompare(a.updated));
  const find = (id) => state.memories.find((m) => m.id === id);
  const parse = () => {
    try {
      const j = JSON.parse(raw);
      return j && typeof j === 'object' && !Array.isArray(j) ? j : null;
    } catch {
      return null;
    }
  };
  const checkFields = (j) => {
    for (const [k, v] of Object.entries(j)) {
      if (k !== 'text' && k !== 'kind') return `unknown field "${k}" (editable: text, kind)`;
      if (typeof v !== 'string') return `field "${k}" must be a string`;
    }
    if (j.kind !== undefined && !KINDS.includes(j.kind)) return `unknown kind "${j.kind}" (fact, preference, instruction, task, episode)`;
    if (j.text !== undefined && j.text.trim() === '') return 'field "text" is empty';
    return null;
  };
  const now = () => new Date(Date.now() + state.nextId).toISOString(); // strictly increasing
  const remember = (m) => state.undo.push(m ? { ...m } : null);
  if (method === 'GET' && rest === '') return [200, { memories: live() }];
  if (method === 'GET' && rest === 'search') {
    const q = (url.searchParams.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    if (!q.length) return apiError(400, 'query parameter q is required', 'invalid_argument');
    const hits = live().filter((m) => q.every((w) => m.text.toLowerCase().includes(w)));
    return [200, { results: hits.map((m) => ({ memory: m, score: 1, why: [`bm25: ${q.join(' ')}`] })) }];
  }
  if (method === 'POST' && rest === 'undo') {
    if (!state.undo.length) return [200, { undone: [] }];
    const prev = state.undo.pop();
    if (prev.added) state.memories = state.memories.filter((m) => m.id !== prev.id);
    else Object.assign(find(prev.id), prev);
    return [200, { undone: [prev.id] }];
  }
  if (method === 'POST' && rest === '') {
    const j = parse();
    if (!j) return apiError(400, 'the request body must be a JSON object', 'invalid_argument');
    if (j.text === undefined) return apiError(400, 'field "text" is required', 'invalid_argument');
    const bad = checkFields(j);
    if (bad) return apiError(400, bad, 'invalid_argument');
    const t = now();
    const m = { id: `mem_${state.nextId++}`, kind: j.kind ?? 'fact', text: j.text, scope: 'user', created: t, updated: t, tags: [], deleted: false };
    state.memories.push(m);
    state.undo.push({ id: m.id, added: true });
    return [201, m];
  }
  const m = find(rest);
  if (!m || (method !== 'GET' && m.deleted)) return apiError(404, `no memory with id ${rest}`, 'not_found');
  if (method === 'GET') return [200, m];
  if (method === 'PATCH') {
    const j = parse();
    if (!j) return apiError(400, 'the request body must be a JSON object', 'invalid_argument');
    const bad = checkFields(j);
    if (bad) return apiError(400, bad, 'invalid_argument');
    remember(m);
    Object.assign(m, j, { updated: now() });
    state.nextId++;
    return [200, m];
  }
  if (method === 'DELETE') {
    remember(m);
    m.deleted = true;
    return [200, m];
  }
  return apiError(405, `${method} is not allowed here`, 'invalid_argument');
}

// Two runs shaped like `hearth eval run`'s results.json (a group with subjects and a plain task).
function fakeRun(id, model, date, acc) {
  return {
    id, date, config: { model, limit: 2 },
    results: {
      mmlu_anatomy: { alias: 'mmlu_anatomy', 'acc,none': acc, 'acc_stderr,none': 0.2 },
      mmlu_astronomy: { alias: 'mmlu_astronomy', 'acc,none': acc / 2, 'acc_stderr,none': 0.1 },
      truthfulqa_mc1: { alias: 'truthfulqa_mc1', 'acc,none': 0.25, 'acc_stderr,none': 0.09 },
    },
    groups: { mmlu: { alias: 'mmlu', 'acc,none': (acc * 3) / 4, 'acc_stderr,none': 0.11 } },
    group_subtasks: { mmlu: ['mmlu_anatomy', 'mmlu_astronomy'] },
    higher_is_better: { mmlu: { acc: true }, truthfulqa_mc1: { acc: true } },
    'n-samples': { mmlu_anatomy: { original: 135, effective: 2 }, mmlu_astronomy: { original: 152, effective: 2 }, truthfulqa_mc1: { original: 817, effective: 2 } },
  };
}
const EVAL_RUNS = [
  fakeRun('2026-11-24T12-00-00_local_tiny-llama', 'local:/m/tiny-llama-Q8_0.gguf', 1764000000, 0.5),
  fakeRun('2026-11-24T11-00-00_local_stories260K', 'local:/m/stories260K.gguf', 1763990000, 1),
];

function evalApi(id) {
  if (id === '') {
    return [200, { runs: EVAL_RUNS.map((r) => ({ id: r.id, model: r.config.model, date: r.date, tasks: ['truthfulqa_mc1', 'mmlu'],
      metrics: [{ task: 'truthfulqa_mc1', metric: 'acc,none', value: 0.25, stderr: 0.09 }, { task: 'mmlu', metric: 'acc,none', value: r.groups.mmlu['acc,none'] }] })) }];
  }
  if (id.includes('/') || id === '..') return apiError(400, `bad run id "${id}"`, 'invalid_argument');
  const run = EVAL_RUNS.find((r) => r.id === id);
  return run ? [200, run] : apiError(404, `no evaluation run "${id}"`, 'not_found');
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
