// The official @modelcontextprotocol/sdk client, unmodified, against `hearth mcp` over stdio and
// over Streamable HTTP (JSON and SSE answers). Every transport shares one store under HEARTH_HOME,
// and `hearth memory search` must see what the MCP clients added.
// Usage: node tests/node/mcp_client.mjs [path/to/hearth]   (or HEARTH_BIN)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

const bin = process.argv[2] || process.env.HEARTH_BIN;
if (!bin) { console.error('usage: mcp_client.mjs HEARTH_BIN'); process.exit(2); }
const home = mkdtempSync(join(tmpdir(), 'hearth-mcp-'));
const env = { ...process.env, HEARTH_HOME: home };

const structured = (r) => {
  assert.equal(r.isError, false, JSON.stringify(r));
  // Prefer structuredContent (2025-06-18); the text part carries the same JSON.
  return r.structuredContent ?? JSON.parse(r.content[0].text);
};

async function exercise(client, label, text, query) {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const n of ['memory_add', 'memory_search', 'memory_list', 'memory_get', 'memory_update', 'memory_forget', 'memory_undo'])
    assert.ok(names.includes(n), `${label}: tool ${n} missing from ${names}`);
  const added = structured(await client.callTool({ name: 'memory_add', arguments: { text, kind: 'preference', tags: [label] } }));
  assert.match(added.memory.id, /^m_[0-9a-f]{24}$/);
  const found = structured(await client.callTool({ name: 'memory_search', arguments: { query, limit: 5 } }));
  assert.ok(found.hits.some((h) => h.id === added.memory.id), `${label}: search did not find the new memory`);
  // A tool-level failure comes back as isError, not as a thrown protocol error.
  const miss = await client.callTool({ name: 'memory_get', arguments: { id: 'm_000000000000000000000000' } });
  assert.equal(miss.isError, true);
  // Bad arguments: since 2025-11-25 a tool error the model can read, not a protocol error.
  const bad = await client.callTool({ name: 'memory_add', arguments: { text: 42 } });
  assert.equal(bad.isError, true, JSON.stringify(bad));
  assert.match(bad.content[0].text, /text/);
  // An unknown tool is still a JSON-RPC error, which the SDK raises.
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }));
  return added.memory.id;
}

// The reference memory server's knowledge-graph tools, as a client written for that server
// calls them: results in the text part, as that server words them.
async function exerciseGraph(client) {
  const call = async (name, args = {}) => {
    const r = await client.callTool({ name, arguments: args });
    assert.equal(r.isError, false, `${name}: ${JSON.stringify(r)}`);
    const t = r.content[0].text;
    return t.startsWith('[') || t.startsWith('{') ? JSON.parse(t) : t;
  };
  const { tools } = await client.listTools();
  for (const n of ['create_entities', 'create_relations', 'add_observations', 'delete_entities', 'delete_observations',
    'delete_relations', 'read_graph', 'search_nodes', 'open_nodes'])
    assert.ok(tools.some((t) => t.name === n), `graph tool ${n} missing`);
  const alice = { name: 'Alice', entityType: 'person', observations: ['Speaks Portuguese', 'Plays the cello'] };
  const acme = { name: 'Acme', entityType: 'organization', observations: ['Makes anvils'] };
  assert.deepEqual(await call('create_entities', { entities: [alice, acme] }), [alice, acme]);
  // Existing names are skipped.
  assert.deepEqual(await call('create_entities', { entities: [{ ...alice, observations: ['x'] }] }), []);
  const works = { from: 'Alice', to: 'Acme', relationType: 'works_at' };
  const likes = { from: 'Acme', to: 'Alice', relationType: 'employs' };
  assert.deepEqual(await call('create_relations', { relations: [works, likes, works] }), [works, likes]);
  assert.deepEqual(await call('create_relations', { relations: [works] }), []);
  assert.deepEqual(await call('add_observations', { observations: [{ entityName: 'Alice', contents: ['Plays the cello', 'Lives in Porto'] }] }),
    [{ entityName: 'Alice', addedObservations: ['Lives in Porto'] }]);
  const missing = await client.callTool({ name: 'add_observations', arguments: { observations: [{ entityName: 'Bob', contents: ['x'] }] } });
  assert.equal(missing.isError, true);
  assert.match(missing.content[0].text, /Entity with name Bob not found/);
  const graph = await call('read_graph');
  assert.deepEqual(graph, { entities: [{ ...alice, observations: [...alice.observations, 'Lives in Porto'] }, acme], relations: [works, likes] });
  assert.deepEqual((await call('search_nodes', { query: 'CELLO' })).entities.map((e) => e.name), ['Alice']);
  assert.deepEqual((await call('search_nodes', { query: 'cello' })).relations, []);
  assert.deepEqual(await call('open_nodes', { names: ['Acme', 'Alice', 'Nobody'] }), graph);
  assert.equal(await call('delete_observations', { deletions: [{ entityName: 'Alice', observations: ['Speaks Portuguese'] }] }),
    'Observations deleted successfully');
  assert.equal(await call('delete_relations', { relations: [likes] }), 'Relations deleted successfully');
  assert.deepEqual((await call('read_graph')).relations, [works]);
  // Deleting an entity takes its relations with it; one memory_undo brings both back.
  assert.equal(await call('delete_entities', { entityNames: ['Acme'] }), 'Entities deleted successfully');
  assert.deepEqual(await call('read_graph'), { entities: [{ ...alice, observations: ['Plays the cello', 'Lives in Porto'] }], relations: [] });
  structured(await client.callTool({ name: 'memory_undo', arguments: {} }));
  assert.deepEqual((await call('read_graph')).relations, [works]);
  // Observations are memories: hybrid search finds them.
  const hits = structured(await client.callTool({ name: 'memory_search', arguments: { query: 'where does Alice live Porto' } })).hits;
  assert.ok(hits.some((h) => h.text === 'Lives in Porto' && h.entity === 'Alice'), JSON.stringify(hits));
  return call('read_graph');
}

function cliSearch(query) {
  return JSON.parse(execFileSync(bin, ['memory', 'search', query, '--json'], { env }).toString());
}

async function startHttp(extra) {
  const child = spawn(bin, ['mcp', '--http', '--port', '0', ...extra], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (c) => reject(new Error(`hearth mcp --http exited with ${c}`)));
  });
  const url = line.match(/(http:\/\/\S+\/mcp)/)[1];
  return { child, url };
}

try {
  // stdio: the client spawns `hearth mcp`.
  const stdio = new Client({ name: 'stdio-test', version: '1.0.0' });
  await stdio.connect(new StdioClientTransport({ command: bin, args: ['mcp'], env, stderr: 'inherit' }));
  assert.equal(stdio.getServerVersion().name, 'hearth-memory');
  const idA = await exercise(stdio, 'stdio', 'Likes oolong tea in the afternoon', 'what tea does the user like');
  const graph = await exerciseGraph(stdio);
  await stdio.close();

  // The graph survives export and import (bundle format version 2) into another store.
  const bundle = join(home, 'graph.jsonl');
  execFileSync(bin, ['memory', 'export', '-o', bundle], { env });
  const other = mkdtempSync(join(tmpdir(), 'hearth-mcp-other-'));
  try {
    const env2 = { ...process.env, HEARTH_HOME: other };
    execFileSync(bin, ['memory', 'import', bundle], { env: env2 });
    const again = new Client({ name: 'stdio-import', version: '1.0.0' });
    await again.connect(new StdioClientTransport({ command: bin, args: ['mcp'], env: env2, stderr: 'inherit' }));
    const r = await again.callTool({ name: 'read_graph', arguments: {} });
    assert.deepEqual(JSON.parse(r.content[0].text), graph);
    await again.close();
  } finally {
    rmSync(other, { recursive: true, force: true });
  }

  for (const [label, extra] of [['http-json', []], ['http-sse', ['--sse']]]) {
    const { child, url } = await startHttp(extra);
    try {
      const client = new Client({ name: `${label}-test`, version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(url));
      await client.connect(transport);
      assert.ok(transport.sessionId, `${label}: no Mcp-Session-Id`);
      // The newest revision this SDK offers is the one negotiated.
      assert.equal(transport.protocolVersion, LATEST_PROTOCOL_VERSION, `${label}: negotiated ${transport.protocolVersion}`);
      const text = label === 'http-json' ? 'Cycles to work along the canal' : 'Plays the cello on Sundays';
      const query = label === 'http-json' ? 'how does the user get to work' : 'which instrument does the user play';
      const id = await exercise(client, label, text, query);
      // The stdio client's memory is visible here too: one store.
      const shared = structured(await client.callTool({ name: 'memory_get', arguments: { id: idA } }));
      assert.equal(shared.memory.text, 'Likes oolong tea in the afternoon');
      await transport.terminateSession();
      await client.close();
      // The CLI sees what the MCP client added.
      assert.ok(cliSearch(query).some((h) => h.id === id), `${label}: hearth memory search does not see ${id}`);

      // The older initialize handshake (2024-11-05) over raw HTTP, and a refused browser origin.
      const init = (version, headers = {}) => fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '0' } } }),
      });
      const old = await init('2024-11-05');
      assert.equal(old.status, 200);
      const oldBody = label === 'http-sse' ? JSON.parse((await old.text()).split('data: ')[1]) : await old.json();
      assert.equal(oldBody.result.protocolVersion, '2024-11-05');
      assert.equal((await init('2025-06-18', { origin: 'http://evil.example' })).status, 403);
    } finally {
      child.kill('SIGTERM');
    }
  }
  assert.ok(cliSearch('oolong tea').some((h) => h.id === idA), 'CLI does not see the stdio memory');
  console.log('mcp client e2e ok (stdio, http json, http sse, knowledge graph)');
} finally {
  rmSync(home, { recursive: true, force: true });
}
