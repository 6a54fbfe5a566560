import { describe, expect, it } from 'vitest';
import { buildRequestBody, defaultSettings, loadSettings, requestHeaders, saveSettings, validateSettings } from '../src/settings';

const history = [
  { role: 'user' as const, content: 'hi' },
  { role: 'assistant' as const, content: 'hello' },
  { role: 'user' as const, content: 'more' },
];

describe('settings → request', () => {
  it('sends only what the user set, with the right types', () => {
    expect(buildRequestBody(defaultSettings, 'm1', history)).toEqual({
      model: 'm1',
      messages: history,
      stream: true,
      stream_options: { include_usage: true },
    });
    const s = { ...defaultSettings, systemPrompt: 'Be brief.', temperature: '0.7', top_p: ' 0.9 ', max_tokens: '256', seed: '42', top_k: '40', min_p: '0.05' };
    const body = buildRequestBody(s, 'm2', history);
    expect(body).toMatchObject({ model: 'm2', stream: true, temperature: 0.7, top_p: 0.9, max_tokens: 256, seed: 42, top_k: 40, min_p: 0.05 });
    expect((body.messages as unknown[])[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(body.messages).toHaveLength(4);
  });

  it('keeps zero values (temperature 0 means greedy, not "unset")', () => {
    const body = buildRequestBody({ ...defaultSettings, temperature: '0', seed: '0' }, 'm', history);
    expect(body.temperature).toBe(0);
    expect(body.seed).toBe(0);
  });

  it('rejects invalid numbers with field names', () => {
    expect(validateSettings({ ...defaultSettings, temperature: 'hot', max_tokens: '1.5', top_p: '2' })).toEqual([
      'Temperature must be a number (got "hot")',
      'Top P must be between 0 and 1',
      'Max tokens must be a whole number',
    ]);
    expect(() => buildRequestBody({ ...defaultSettings, top_k: '-1' }, 'm', history)).toThrow('Top K must be between 0 and 1000000');
  });

  it('adds the bearer token only when an API key is set', () => {
    expect(requestHeaders(defaultSettings)).toEqual({ 'Content-Type': 'application/json' });
    expect(requestHeaders({ ...defaultSettings, apiKey: ' sk-1 ' }).Authorization).toBe('Bearer sk-1');
  });

  it('persists settings and ignores junk in storage', () => {
    localStorage.clear();
    saveSettings(localStorage, { ...defaultSettings, seed: '7' });
    expect(loadSettings(localStorage).seed).toBe('7');
    localStorage.setItem('hearth.settings', '{"seed":7,"temperature":"0.1","evil":"x"}');
    expect(loadSettings(localStorage)).toEqual({ ...defaultSettings, temperature: '0.1' });
    localStorage.setItem('hearth.settings', 'nope');
    expect(loadSettings(localStorage)).toEqual(defaultSettings);
  });
});
