import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addMemory, deleteMemory, editMemory, listMemories, searchMemories, undoMemory } from '../src/memory_api';
import { formatUpdated, mountMemoryPanel } from '../src/memory_panel';
import { defaultSettings } from '../src/settings';

const rec = (id: string, text: string, kind = 'fact') => ({ id, kind, text, scope: 'user', updated: '2026-11-24T10:00:00Z', deleted: false });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let calls: { url: string; method: string; body?: string; auth?: string }[] = [];
let replies: Response[] = [];
beforeEach(() => {
  calls = [];
  replies = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const h = init.headers as Record<string, string>;
    calls.push({ url, method: init.method ?? 'GET', body: init.body as string | undefined, auth: h?.Authorization });
    const r = replies.shift();
    if (!r) throw new TypeError('Failed to fetch');
    return r;
  });
});
afterEach(() => vi.unstubAllGlobals());

describe('memory API client', () => {
  const s = { ...defaultSettings, apiKey: 'k1' };

  it('uses the documented paths, methods and bodies', async () => {
    replies.push(json(200, { memories: [rec('a', 'likes tea'), { junk: true }] }));
    expect(await listMemories(s)).toEqual([rec('a', 'likes tea')]);
    replies.push(json(200, { results: [{ memory: rec('a', 'likes tea'), score: 0.5, why: ['bm25'] }] }));
    expect((await searchMemories(s, 'tea & cake'))[0].memory.id).toBe('a');
    replies.push(json(201, rec('b', 'x', 'task')));
    expect((await addMemory(s, 'x', 'task')).id).toBe('b');
    replies.push(json(200, rec('b', 'y', 'task')));
    expect((await editMemory(s, 'b', { text: 'y' })).text).toBe('y');
    replies.push(json(200, { ...rec('b', 'y'), deleted: true }));
    expect((await deleteMemory(s, 'b')).deleted).toBe(true);
    replies.push(json(200, { undone: ['b'] }));
    expect(await undoMemory(s)).toEqual(['b']);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/hearth/memory?limit=200',
      'GET /api/hearth/memory/search?q=tea%20%26%20cake&limit=50',
      'POST /api/hearth/memory',
      'PATCH /api/hearth/memory/b',
      'DELETE /api/hearth/memory/b',
      'POST /api/hearth/memory/undo',
    ]);
    expect(JSON.parse(calls[2].body!)).toEqual({ text: 'x', kind: 'task' });
    expect(JSON.parse(calls[3].body!)).toEqual({ text: 'y' });
    expect(calls.every((c) => c.auth === 'Bearer k1')).toBe(true);
  });

  it("shows the server's error message with the status", async () => {
    replies.push(json(400, { error: { message: 'field "text" must be a string', type: 'invalid_argument' } }));
    await expect(addMemory(s, '', 'fact')).rejects.toThrow('field "text" must be a string (HTTP 400)');
    replies.push(json(404, { error: { message: 'no memory with id zz', type: 'not_found' } }));
    await expect(editMemory(s, 'zz', { text: 'q' })).rejects.toThrow('no memory with id zz (HTTP 404)');
    replies.push(new Response('nope', { status: 404 }));
    await expect(listMemories(s)).rejects.toThrow('This server has no memory API');
    replies.push(json(200, { wrong: 1 }));
    await expect(listMemories(s)).rejects.toThrow('no "memories" list');
    await expect(undoMemory(s)).rejects.toThrow('Cannot reach the server');
  });
});

describe('memory panel', () => {
  it('formats times and passes through non-dates', () => {
    expect(formatUpdated('2026-11-24T10:05:00Z')).toMatch(/^2026-11-2[45] \d\d:\d5$/);
    expect(formatUpdated('soon')).toBe('soon');
  });

  it('lists, edits, deletes with undo, and shows errors', async () => {
    const dialog = document.createElement('dialog');
    document.body.append(dialog);
    const panel = mountMemoryPanel(dialog, () => defaultSettings);
    replies.push(json(200, { memories: [rec('a', 'likes <b>tea</b>', 'preference'), rec('b', 'owns a cat')] }));
    await panel.refresh();
    const rows = dialog.querySelectorAll<HTMLLIElement>('#memory-list .mem');
    expect([...rows].map((r) => r.dataset.id)).toEqual(['a', 'b']);
    expect(rows[0].querySelector('.mem-text')!.textContent).toBe('likes <b>tea</b>'); // text, not HTML
    expect(rows[0].querySelector('.mem-meta')!.textContent).toContain('preference');

    // Inline edit: Save sends a PATCH with the new text, then reloads.
    rows[1].querySelector<HTMLButtonElement>('.mem-edit')!.click();
    const area = rows[1].querySelector<HTMLTextAreaElement>('.mem-edit-text')!;
    area.value = 'owns two cats';
    replies.push(json(200, rec('b', 'owns two cats')), json(200, { memories: [rec('b', 'owns two cats')] }));
    rows[1].querySelector<HTMLButtonElement>('.mem-save')!.click();
    await vi.waitFor(() => expect(dialog.querySelector('.mem-text')!.textContent).toBe('owns two cats'));
    expect(calls.at(-2)).toMatchObject({ method: 'PATCH', url: '/api/hearth/memory/b', body: '{"text":"owns two cats"}' });

    // Delete offers Undo in the notice.
    replies.push(json(200, { ...rec('b', 'owns two cats'), deleted: true }), json(200, { memories: [] }));
    dialog.querySelector<HTMLButtonElement>('.mem-del')!.click();
    await vi.waitFor(() => expect(dialog.querySelector('.mem-empty')).not.toBeNull());
    expect(dialog.querySelector('#memory-notice')!.textContent).toContain('Deleted "owns two cats"');
    replies.push(json(200, { undone: ['b'] }), json(200, { memories: [rec('b', 'owns two cats')] }));
    dialog.querySelector<HTMLButtonElement>('.mem-undo')!.click();
    await vi.waitFor(() => expect(dialog.querySelectorAll('#memory-list .mem')).toHaveLength(1));
    expect(calls.at(-2)).toMatchObject({ method: 'POST', url: '/api/hearth/memory/undo' });
    expect(dialog.querySelector('#memory-notice .mem-undo')).toBeNull();

    // A failed add shows the server's message and keeps the typed text.
    dialog.querySelector<HTMLTextAreaElement>('#memory-add textarea')!.value = 'x';
    replies.push(json(400, { error: { message: 'unknown kind "zzz"', type: 'invalid_argument' } }));
    dialog.querySelector<HTMLFormElement>('#memory-add')!.requestSubmit();
    await vi.waitFor(() => expect(dialog.querySelector('#memory-notice')!.className).toBe('error'));
    expect(dialog.querySelector('#memory-notice')!.textContent).toContain('unknown kind "zzz" (HTTP 400)');
    expect(dialog.querySelector<HTMLTextAreaElement>('#memory-add textarea')!.value).toBe('x');
  });

  it('searches when the box has text', async () => {
    const dialog = document.createElement('dialog');
    const panel = mountMemoryPanel(dialog, () => defaultSettings);
    dialog.querySelector<HTMLInputElement>('#memory-q')!.value = 'cat';
    replies.push(json(200, { results: [{ memory: rec('b', 'owns a cat'), score: 1, why: ['bm25: cat', 'recent'] }] }));
    await panel.refresh();
    expect(calls[0].url).toBe('/api/hearth/memory/search?q=cat&limit=50');
    expect(dialog.querySelector('.mem-meta')!.textContent).toContain('bm25: cat, recent');
    dialog.querySelector<HTMLInputElement>('#memory-q')!.value = 'dog';
    replies.push(json(200, { results: [] }));
    await panel.refresh();
    expect(dialog.querySelector('.mem-empty')!.textContent).toBe('No memory matches "dog".');
  });
});
