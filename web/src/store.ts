// Conversation history in localStorage, and its JSON export/import format.

export interface StoredMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  reasoning?: string; // "thinking" text some models stream separately
  model?: string;
  error?: string; // set when the reply failed; such messages are not sent back to the model
  stopped?: boolean; // the user stopped generation
  truncated?: boolean; // the server ended the reply at the token limit (finish_reason "length")
}

export interface Conversation {
  id: string;
  title: string;
  created: number;
  updated: number;
  model?: string;
  messages: StoredMessage[];
}

export const EXPORT_FORMAT = 'hearth-conversations';
export const EXPORT_VERSION = 1;
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
const KEY = 'hearth.conversations';

export function newId(): string {
  const rnd = Math.random().toString(36).slice(2, 10);
  return `c${Date.now().toString(36)}${rnd}`;
}

export function titleFor(text: string): string {
  const line = text.trim().split('\n')[0].trim();
  if (line === '') return 'New chat';
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

export function exportConversations(list: Conversation[], now = new Date()): string {
  return JSON.stringify(
    { format: EXPORT_FORMAT, version: EXPORT_VERSION, exported: now.toISOString(), conversations: list },
    null,
    2,
  );
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

const ROLES = new Set(['system', 'user', 'assistant']);

function checkMessage(m: any, where: string): StoredMessage {
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ImportError(`${where} must be an object`);
  if (!ROLES.has(m.role)) throw new ImportError(`${where}.role must be "user", "assistant" or "system"`);
  if (typeof m.content !== 'string') throw new ImportError(`${where}.content must be a string`);
  const out: StoredMessage = { role: m.role, content: m.content };
  if (m.model !== undefined) {
    if (typeof m.model !== 'string') throw new ImportError(`${where}.model must be a string`);
    out.model = m.model;
  }
  if (m.reasoning !== undefined) {
    if (typeof m.reasoning !== 'string') throw new ImportError(`${where}.reasoning must be a string`);
    out.reasoning = m.reasoning;
  }
  if (m.error !== undefined) {
    if (typeof m.error !== 'string') throw new ImportError(`${where}.error must be a string`);
    out.error = m.error;
  }
  if (m.stopped === true) out.stopped = true;
  if (m.truncated === true) out.truncated = true;
  return out;
}

function checkConversation(c: any, where: string): Conversation {
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new ImportError(`${where} must be an object`);
  if (typeof c.id !== 'string' || c.id === '') throw new ImportError(`${where}.id must be a non-empty string`);
  if (typeof c.title !== 'string') throw new ImportError(`${where}.title must be a string`);
  for (const f of ['created', 'updated']) {
    if (typeof c[f] !== 'number' || !Number.isFinite(c[f])) throw new ImportError(`${where}.${f} must be a number`);
  }
  if (!Array.isArray(c.messages)) throw new ImportError(`${where}.messages must be an array`);
  if (c.model !== undefined && typeof c.model !== 'string') throw new ImportError(`${where}.model must be a string`);
  return {
    id: c.id,
    title: c.title,
    created: c.created,
    updated: c.updated,
    ...(c.model !== undefined ? { model: c.model } : {}),
    messages: c.messages.map((m: unknown, i: number) => checkMessage(m, `${where}.messages[${i}]`)),
  };
}

/** Parses and validates an export file; throws ImportError naming the first problem. */
export function parseImport(text: string): Conversation[] {
  if (text.length > MAX_IMPORT_BYTES) throw new ImportError(`file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB`);
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ImportError(`not valid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ImportError('top level must be an object');
  if (doc.format !== EXPORT_FORMAT) throw new ImportError(`"format" must be "${EXPORT_FORMAT}" (is this a hearth export?)`);
  if (doc.version !== EXPORT_VERSION) throw new ImportError(`unsupported version ${JSON.stringify(doc.version)} (expected ${EXPORT_VERSION})`);
  if (!Array.isArray(doc.conversations)) throw new ImportError('"conversations" must be an array');
  return doc.conversations.map((c: unknown, i: number) => checkConversation(c, `conversations[${i}]`));
}

/** Adds imported conversations; an id already present gets a fresh one so nothing is overwritten. */
export function mergeImported(existing: Conversation[], imported: Conversation[]): Conversation[] {
  const ids = new Set(existing.map((c) => c.id));
  const added = imported.map((c) => {
    const copy = { ...c, messages: c.messages.map((m) => ({ ...m })) };
    while (ids.has(copy.id)) copy.id = newId();
    ids.add(copy.id);
    return copy;
  });
  return [...added, ...existing].sort((a, b) => b.updated - a.updated);
}

export function loadConversations(storage: Storage): Conversation[] {
  const raw = storage.getItem(KEY);
  if (!raw) return [];
  try {
    const list = JSON.parse(raw);
    if (!Array.isArray(list)) return [];
    // Drop anything corrupt rather than failing to start.
    const out: Conversation[] = [];
    list.forEach((c: unknown, i: number) => {
      try {
        out.push(checkConversation(c, `stored[${i}]`));
      } catch {
        /* skip */
      }
    });
    return out;
  } catch {
    return [];
  }
}

/** Saves the list; returns an error message when the browser refuses (quota). */
export function saveConversations(storage: Storage, list: Conversation[]): string | null {
  try {
    storage.setItem(KEY, JSON.stringify(list));
    return null;
  } catch (e) {
    return `Could not save history in this browser (${(e as Error).message}). Export and delete old chats.`;
  }
}
