// Client for hearth's memory REST API (/api/hearth/memory, see src/memory/serve_routes.h).
// Records are the bundle format's JSON (docs/memory-format.md); only the fields the panel shows
// are typed here.
import { httpError } from './api';
import { ApiError } from './sse';
import { Settings, requestHeaders } from './settings';

export const MEMORY_API = '/api/hearth/memory';
export const MEMORY_KINDS = ['fact', 'preference', 'instruction', 'task', 'episode', 'core'] as const;

export interface Memory {
  id: string;
  kind: string;
  text: string;
  scope?: string;
  updated: string;
  created?: string;
  tags?: string[];
  deleted?: boolean;
  [extra: string]: unknown;
}

export interface MemoryHit {
  memory: Memory;
  score: number;
  why?: string[]; // the server's reasons, e.g. ["bm25: tea"]
}

export interface MemoryPatch {
  text?: string;
  kind?: string;
}

function isMemory(m: any): m is Memory {
  return !!m && typeof m.id === 'string' && typeof m.text === 'string' && typeof m.kind === 'string';
}

/** One request; a non-2xx reply becomes an ApiError carrying the server's own message. */
async function call(settings: Settings, method: string, path: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await fetch(MEMORY_API + path, {
      method,
      headers: requestHeaders(settings),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(`Cannot reach the server at ${location.origin} (${(e as Error).message}). Is hearth still running?`);
  }
  if (!res.ok) {
    if (res.status === 404 && method === 'GET' && path.startsWith('?')) throw new ApiError('This server has no memory API (GET /api/hearth/memory answered 404)', 404);
    throw await httpError(res);
  }
  const json = await res.json().catch(() => undefined);
  if (json === undefined) throw new ApiError(`${method} ${MEMORY_API}${path} returned a body that is not JSON`);
  return json;
}

function memoryOrThrow(m: unknown, what: string): Memory {
  if (!isMemory(m)) throw new ApiError(`${what} returned an unexpected body (no memory record)`);
  return m;
}

export async function listMemories(settings: Settings, limit = 200): Promise<Memory[]> {
  const body = await call(settings, 'GET', `?limit=${limit}`);
  if (!Array.isArray(body?.memories)) throw new ApiError('GET /api/hearth/memory returned an unexpected body (no "memories" list)');
  return body.memories.filter(isMemory);
}

export async function searchMemories(settings: Settings, query: string, limit = 50): Promise<MemoryHit[]> {
  const body = await call(settings, 'GET', `/search?q=${encodeURIComponent(query)}&limit=${limit}`);
  if (!Array.isArray(body?.results)) throw new ApiError('memory search returned an unexpected body (no "results" list)');
  return body.results.filter((h: any) => isMemory(h?.memory));
}

export async function addMemory(settings: Settings, text: string, kind: string): Promise<Memory> {
  return memoryOrThrow(await call(settings, 'POST', '', { text, kind }), 'adding a memory');
}

export async function editMemory(settings: Settings, id: string, patch: MemoryPatch): Promise<Memory> {
  return memoryOrThrow(await call(settings, 'PATCH', `/${encodeURIComponent(id)}`, patch), 'editing a memory');
}

export async function deleteMemory(settings: Settings, id: string): Promise<Memory> {
  return memoryOrThrow(await call(settings, 'DELETE', `/${encodeURIComponent(id)}`), 'deleting a memory');
}

/** Reverts the store's most recent change; returns the ids it touched (empty: nothing to undo). */
export async function undoMemory(settings: Settings): Promise<string[]> {
  const body = await call(settings, 'POST', '/undo');
  return Array.isArray(body?.undone) ? body.undone.filter((x: unknown) => typeof x === 'string') : [];
}
