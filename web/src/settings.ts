// User settings (kept in localStorage) and their mapping onto the chat completion request.

export interface Settings {
  apiKey: string;
  systemPrompt: string;
  // Sampling fields are strings as typed; empty means "let the server decide".
  temperature: string;
  top_p: string;
  max_tokens: string;
  seed: string;
  top_k: string;
  min_p: string;
}

export const defaultSettings: Settings = {
  apiKey: '',
  systemPrompt: '',
  temperature: '',
  top_p: '',
  max_tokens: '',
  seed: '',
  top_k: '',
  min_p: '',
};

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

type NumberField = 'temperature' | 'top_p' | 'max_tokens' | 'seed' | 'top_k' | 'min_p';

interface FieldRule {
  label: string;
  integer: boolean;
  min: number;
  max: number;
}

export const fieldRules: Record<NumberField, FieldRule> = {
  temperature: { label: 'Temperature', integer: false, min: 0, max: 2 },
  top_p: { label: 'Top P', integer: false, min: 0, max: 1 },
  max_tokens: { label: 'Max tokens', integer: true, min: 1, max: 10_000_000 },
  seed: { label: 'Seed', integer: true, min: -(2 ** 53) + 1, max: 2 ** 53 - 1 },
  top_k: { label: 'Top K', integer: true, min: 0, max: 1_000_000 },
  min_p: { label: 'Min P', integer: false, min: 0, max: 1 },
};

/** Returns one message per invalid field (empty when all are fine). */
export function validateSettings(s: Settings): string[] {
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(fieldRules) as [NumberField, FieldRule][]) {
    const raw = s[key].trim();
    if (raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n)) problems.push(`${rule.label} must be a number (got "${raw}")`);
    else if (rule.integer && !Number.isInteger(n)) problems.push(`${rule.label} must be a whole number`);
    else if (n < rule.min || n > rule.max) problems.push(`${rule.label} must be between ${rule.min} and ${rule.max}`);
  }
  return problems;
}

/** Builds the POST /v1/chat/completions body; throws if a setting is invalid. */
export function buildRequestBody(s: Settings, model: string, history: ChatMessage[]): Record<string, unknown> {
  const problems = validateSettings(s);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const messages: ChatMessage[] = [];
  if (s.systemPrompt.trim() !== '') messages.push({ role: 'system', content: s.systemPrompt });
  for (const m of history) messages.push({ role: m.role, content: m.content });
  const body: Record<string, unknown> = { model, messages, stream: true, stream_options: { include_usage: true } };
  for (const key of Object.keys(fieldRules) as NumberField[]) {
    const raw = s[key].trim();
    if (raw !== '') body[key] = Number(raw);
  }
  return body;
}

export function requestHeaders(s: Settings): Record<string, string> {
  const h: Record<string, string> = { 'Content-Type': 'application/json' };
  if (s.apiKey.trim() !== '') h['Authorization'] = `Bearer ${s.apiKey.trim()}`;
  return h;
}

const KEY = 'hearth.settings';

export function loadSettings(storage: Storage): Settings {
  try {
    const saved = JSON.parse(storage.getItem(KEY) ?? '{}');
    const out = { ...defaultSettings };
    for (const k of Object.keys(defaultSettings) as (keyof Settings)[]) {
      if (typeof saved?.[k] === 'string') out[k] = saved[k];
    }
    return out;
  } catch {
    return { ...defaultSettings };
  }
}

export function saveSettings(storage: Storage, s: Settings): void {
  storage.setItem(KEY, JSON.stringify(s));
}
