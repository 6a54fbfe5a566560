// The few standard HTTP endpoints the UI uses. Everything is same-origin with the server.
import { ApiError, ChatDelta, errorText, readChatStream } from './sse';
import { Settings, requestHeaders } from './settings';

export interface ModelInfo {
  id: string;
  owned_by?: string;
  created?: number;
  [extra: string]: unknown;
}

/** Turns a non-2xx response into an ApiError with the server's own message when it has one. */
export async function httpError(res: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* body unreadable: fall back to the status line */
  }
  let message: string | undefined;
  try {
    message = errorText(JSON.parse(text));
  } catch {
    message = text.trim() !== '' && text.length < 500 && !text.trimStart().startsWith('<') ? text.trim() : undefined;
  }
  const status = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
  if (res.status === 401 || res.status === 403) {
    message = `${message ?? 'Unauthorized'} — check the API key in Settings`;
  }
  return new ApiError(message ? `${message} (${status})` : status, res.status);
}

/** Wraps fetch so that a connection failure reads as one, not as "TypeError: Failed to fetch". */
async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(`Cannot reach the server at ${location.origin} (${(e as Error).message}). Is hearth still running?`);
  }
}

export async function listModels(settings: Settings, signal?: AbortSignal): Promise<ModelInfo[]> {
  const res = await send('/v1/models', { headers: requestHeaders(settings), signal });
  if (!res.ok) throw await httpError(res);
  const body = await res.json().catch(() => null);
  if (!body || !Array.isArray(body.data)) throw new ApiError('GET /v1/models returned an unexpected body (no "data" list)');
  return body.data.filter((m: any) => m && typeof m.id === 'string');
}

/** Best-effort version string from /api/version or /health; null when neither answers. */
export async function serverVersion(settings: Settings): Promise<string | null> {
  for (const path of ['/api/version', '/health']) {
    try {
      const res = await fetch(path, { headers: requestHeaders(settings) });
      if (!res.ok) continue;
      const body = await res.json().catch(() => null);
      if (body && typeof body.version === 'string') return body.version;
    } catch {
      /* optional endpoint */
    }
  }
  return null;
}

export async function* streamChat(
  settings: Settings,
  body: Record<string, unknown>,
  signal: AbortSignal,
): AsyncGenerator<ChatDelta> {
  const res = await send('/v1/chat/completions', {
    method: 'POST',
    headers: requestHeaders(settings),
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await httpError(res);
  if (!res.body) throw new ApiError('The server answered without a body');
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('application/json')) {
    // A server that ignores stream:true still answers correctly; show the whole reply at once.
    const full = await res.json();
    const msg = full?.choices?.[0]?.message;
    if (typeof msg?.content !== 'string') throw new ApiError(errorText(full) ?? 'Unexpected non-streaming reply');
    yield { content: msg.content, reasoning: '', finishReason: full.choices[0].finish_reason ?? null, model: full.model, usage: full.usage };
    return;
  }
  yield* readChatStream(res.body);
}
