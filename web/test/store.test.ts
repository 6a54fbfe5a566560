import { describe, expect, it } from 'vitest';
import {
  Conversation,
  exportConversations,
  ImportError,
  loadConversations,
  mergeImported,
  parseImport,
  saveConversations,
  titleFor,
} from '../src/store';

const sample: Conversation[] = [
  {
    id: 'c1',
    title: 'First',
    created: 1000,
    updated: 2000,
    model: 'qwen',
    messages: [
      { role: 'user', content: 'hi <b>' },
      { role: 'assistant', content: '```js\nx\n```', model: 'qwen', reasoning: 'think' },
      { role: 'user', content: 'again' },
      { role: 'assistant', content: 'cut', truncated: true },
      { role: 'user', content: 'and again' },
      { role: 'assistant', content: '', error: 'HTTP 500', stopped: true },
    ],
  },
  { id: 'c2', title: 'Second', created: 10, updated: 20, messages: [] },
];

describe('export / import', () => {
  it('round-trips conversations exactly', () => {
    const text = exportConversations(sample, new Date('2026-01-02T03:04:05Z'));
    const doc = JSON.parse(text);
    expect(doc.format).toBe('hearth-conversations');
    expect(doc.version).toBe(1);
    expect(doc.exported).toBe('2026-01-02T03:04:05.000Z');
    expect(parseImport(text)).toEqual(sample);
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"format":', /not valid JSON/],
    ['an array', '[]', /top level must be an object/],
    ['another app', '{"format":"x","version":1,"conversations":[]}', /"format" must be "hearth-conversations"/],
    ['a future version', '{"format":"hearth-conversations","version":2,"conversations":[]}', /unsupported version 2/],
    ['no list', '{"format":"hearth-conversations","version":1}', /"conversations" must be an array/],
  ];
  for (const [what, text, msg] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => parseImport(text)).toThrow(ImportError);
      expect(() => parseImport(text)).toThrow(msg);
    });
  }

  it('names the exact field that is wrong', () => {
    const doc = JSON.parse(exportConversations(sample));
    doc.conversations[0].messages[1].role = 'robot';
    expect(() => parseImport(JSON.stringify(doc))).toThrow('conversations[0].messages[1].role must be "user", "assistant" or "system"');
    doc.conversations[0].messages[1] = { role: 'user', content: 5 };
    expect(() => parseImport(JSON.stringify(doc))).toThrow('conversations[0].messages[1].content must be a string');
    doc.conversations[0] = { ...sample[0], id: '' };
    expect(() => parseImport(JSON.stringify(doc))).toThrow('conversations[0].id must be a non-empty string');
    doc.conversations[0] = { ...sample[0], updated: 'yesterday' };
    expect(() => parseImport(JSON.stringify(doc))).toThrow('conversations[0].updated must be a number');
  });

  it('keeps both copies when an imported id already exists', () => {
    const merged = mergeImported(sample, [{ ...sample[0], title: 'Imported' }]);
    expect(merged).toHaveLength(3);
    expect(new Set(merged.map((c) => c.id)).size).toBe(3);
    expect(merged.find((c) => c.title === 'Imported')?.id).not.toBe('c1');
    expect(merged.find((c) => c.title === 'First')?.id).toBe('c1');
  });
});

describe('localStorage', () => {
  it('saves and loads, skipping corrupt entries', () => {
    localStorage.clear();
    expect(saveConversations(localStorage, sample)).toBeNull();
    expect(loadConversations(localStorage)).toEqual(sample);
    localStorage.setItem('hearth.conversations', JSON.stringify([sample[1], { id: 3 }]));
    expect(loadConversations(localStorage)).toEqual([sample[1]]);
    localStorage.setItem('hearth.conversations', '{broken');
    expect(loadConversations(localStorage)).toEqual([]);
  });

  it('reports a storage quota failure instead of throwing', () => {
    const full = { setItem() { throw new Error('QuotaExceededError'); } } as unknown as Storage;
    expect(saveConversations(full, sample)).toMatch(/Could not save history.*QuotaExceededError/);
  });
});

it('titles conversations by their first line', () => {
  expect(titleFor('  hello there\nmore')).toBe('hello there');
  expect(titleFor('')).toBe('New chat');
  expect(titleFor('x'.repeat(100))).toHaveLength(60);
});
