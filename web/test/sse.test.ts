import { describe, expect, it } from 'vitest';
import { ApiError, parseChunk, readChatStream, SseParser } from '../src/sse';

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

function streamOf(parts: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(typeof p === 'string' ? enc.encode(p) : p);
      c.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  for await (const d of readChatStream(stream)) text += d.content;
  return text;
}

describe('SseParser', () => {
  it('parses events, comments, multi-line data and named events', () => {
    const p = new SseParser();
    const evs = p.feed(': keep-alive\n\ndata: a\ndata: b\n\nevent: ping\ndata:x\n\n');
    expect(evs).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'ping', data: 'x' },
    ]);
  });

  it('gives the same events however the text is split, including CRLF split across chunks', () => {
    const text = chunk('Hello') + 'data: {"choices":[{"delta":{"content":" wörld ✓"}}]}\r\n\r\n' + chunk('!') + 'data: [DONE]\r\n\r\n';
    const whole = new SseParser().feed(text);
    expect(whole.map((e) => e.data).at(-1)).toBe('[DONE]');
    expect(whole).toHaveLength(4);
    for (let size = 1; size <= 17; size++) {
      const p = new SseParser();
      const evs = [];
      for (let i = 0; i < text.length; i += size) evs.push(...p.feed(text.slice(i, i + size)));
      evs.push(...p.end());
      expect(evs).toEqual(whole);
    }
  });

  it('emits a trailing event that lacks its blank line at end of stream', () => {
    const p = new SseParser();
    expect(p.feed('data: last')).toEqual([]);
    expect(p.end()).toEqual([{ event: 'message', data: 'last' }]);
  });
});

describe('readChatStream', () => {
  it('joins deltas and stops at [DONE], even with UTF-8 split mid-character', async () => {
    const bytes = new TextEncoder().encode(chunk('naïve ') + chunk('日本') + 'data: [DONE]\n\n' + chunk('ignored'));
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 3) parts.push(bytes.slice(i, i + 3));
    expect(await collect(streamOf(parts))).toBe('naïve 日本');
  });

  it('reports an error event in the stream with its message', async () => {
    const s = streamOf([chunk('partial'), 'data: {"error":{"message":"model unloaded","type":"server_error"}}\n\n']);
    await expect(collect(s)).rejects.toThrow('model unloaded');
  });

  it('rejects non-JSON data with a clear message', () => {
    expect(() => parseChunk('{oops')).toThrow(ApiError);
    expect(() => parseChunk('{oops')).toThrow(/not JSON/);
  });

  it('reads finish_reason, reasoning and usage', () => {
    const d = parseChunk(JSON.stringify({ choices: [{ delta: { reasoning_content: 'hmm' }, finish_reason: 'length' }], usage: { completion_tokens: 5 } }));
    expect(d).toMatchObject({ content: '', reasoning: 'hmm', finishReason: 'length', usage: { completion_tokens: 5 } });
    expect(parseChunk(' [DONE] ')).toBeNull();
  });
});
