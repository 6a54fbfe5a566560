// Incremental parser for Server-Sent Events as sent by OpenAI-style streaming endpoints.
// Network chunks can split a line (or a UTF-8 character) anywhere, so text is buffered until a
// full line arrives and an event is emitted only at the blank line that ends it.

export interface SseEvent {
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private dataLines: string[] = [];
  private eventName = '';
  private sawCR = false;

  /** Feeds decoded text; returns the events completed by it. */
  feed(text: string): SseEvent[] {
    const out: SseEvent[] = [];
    // A CR at the end of the previous chunk followed by LF here is one line break, not two.
    if (this.sawCR && text.startsWith('\n')) text = text.slice(1);
    this.sawCR = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i), out);
      if (c === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else {
          this.sawCR = true;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** Ends the stream: a final event without its blank line still counts. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.buffer.length > 0) this.line(this.buffer, out);
    this.buffer = '';
    this.dispatch(out);
    return out;
  }

  private line(line: string, out: SseEvent[]) {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.startsWith(':')) return; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
  }

  private dispatch(out: SseEvent[]) {
    if (this.dataLines.length > 0) {
      out.push({ event: this.eventName || 'message', data: this.dataLines.join('\n') });
    }
    this.dataLines = [];
    this.eventName = '';
  }
}

/** What one chat.completion.chunk contributes to the reply. */
export interface ChatDelta {
  content: string;
  reasoning: string;
  finishReason: string | null;
  model?: string;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** Error carried inside a stream (`data: {"error":{...}}`) or in an HTTP error body. */
export class ApiError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Interprets one SSE data payload; returns null for the `[DONE]` terminator. */
export function parseChunk(data: string): ChatDelta | null {
  if (data.trim() === '[DONE]') return null;
  let obj: any;
  try {
    obj = JSON.parse(data);
  } catch {
    throw new ApiError(`The server sent a stream event that is not JSON: ${data.slice(0, 120)}`);
  }
  if (obj && obj.error) throw new ApiError(errorText(obj) ?? 'The server reported an error mid-stream');
  const choice = Array.isArray(obj?.choices) ? obj.choices[0] : undefined;
  const delta = choice?.delta ?? {};
  return {
    content: typeof delta.content === 'string' ? delta.content : '',
    reasoning:
      typeof delta.reasoning_content === 'string'
        ? delta.reasoning_content
        : typeof delta.reasoning === 'string'
          ? delta.reasoning
          : '',
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null,
    model: typeof obj?.model === 'string' ? obj.model : undefined,
    usage: obj?.usage && typeof obj.usage === 'object' ? obj.usage : undefined,
  };
}

/** Pulls a human message out of OpenAI ({"error":{"message"}}), Anthropic or plain shapes. */
export function errorText(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as any;
  if (typeof b.error === 'string') return b.error;
  if (b.error && typeof b.error.message === 'string') return b.error.message;
  if (typeof b.message === 'string') return b.message;
  if (typeof b.detail === 'string') return b.detail;
  return undefined;
}

/** Reads a streaming response body and yields deltas until `[DONE]` or the end. */
export async function* readChatStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatDelta> {
  const reader = body.getReader();
  const decoder = new TextDecoder(); // stream mode keeps split UTF-8 sequences intact
  const parser = new SseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      const events = done ? parser.feed(decoder.decode()).concat(parser.end()) : parser.feed(decoder.decode(value, { stream: true }));
      for (const ev of events) {
        const delta = parseChunk(ev.data);
        if (delta === null) return;
        yield delta;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}
