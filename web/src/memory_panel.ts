// The Memory dialog: lists, searches, adds, edits and deletes the server's memories. It builds its
// own DOM inside the given <dialog> so index.html only needs the empty element.
import { addMemory, deleteMemory, editMemory, listMemories, Memory, MEMORY_KINDS, MemoryHit, searchMemories, undoMemory } from './memory_api';
import { Settings } from './settings';
import { el } from './dom';

/** "2026-11-24 19:05" in local time; the raw text when it is not a date. */
export function formatUpdated(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// Properties are loosely typed: the exact per-tag Partial<> type is too complex for tsc here.

export interface MemoryPanel {
  open(): Promise<void>;
  refresh(): Promise<void>;
}

export function mountMemoryPanel(dialog: HTMLDialogElement, getSettings: () => Settings): MemoryPanel {
  const query = el('input', { type: 'search', id: 'memory-q', placeholder: 'Search memories', autocomplete: 'off' });
  query.setAttribute('aria-label', 'Search memories');
  const searchForm = el('form', { className: 'mem-search' }, query, el('button', { type: 'submit', textContent: 'Search' }));
  const noticeText = el('span', { className: 'mem-notice-text' });
  const notice = el('p', { id: 'memory-notice', hidden: true }, noticeText);
  notice.setAttribute('role', 'status');
  const list = el('ul', { id: 'memory-list' });
  const addText = el('textarea', { name: 'text', rows: 2, placeholder: 'Something to remember', required: true });
  addText.setAttribute('aria-label', 'New memory text');
  const addKind = el('select', { name: 'kind' }, ...MEMORY_KINDS.map((k) => el('option', { value: k, textContent: k })));
  addKind.setAttribute('aria-label', 'Kind');
  const addForm = el('form', { id: 'memory-add' }, addText, el('div', { className: 'mem-row' }, addKind, el('button', { type: 'submit', textContent: 'Add' })));
  const close = el('button', { type: 'button', className: 'mem-close', textContent: 'Close' });
  dialog.replaceChildren(
    el('div', { className: 'mem-head' }, el('h2', { textContent: 'Memory' }), close),
    searchForm,
    notice,
    list,
    addForm,
  );

  let busy = false;

  function say(text: string, kind: 'error' | 'info', undo = false) {
    noticeText.textContent = text;
    notice.className = kind;
    notice.querySelector('.mem-undo')?.remove();
    if (undo) {
      const b = el('button', { type: 'button', className: 'mem-undo', textContent: 'Undo' });
      b.onclick = () => void act(async () => {
        const ids = await undoMemory(getSettings());
        say(ids.length ? 'Restored.' : 'Nothing to undo.', 'info');
      });
      notice.append(b);
    }
    notice.hidden = false;
  }

  // Runs one server action, shows its error in the notice, then reloads the list.
  async function act(fn: () => Promise<void>, reload = true) {
    if (busy) return;
    busy = true;
    dialog.classList.add('busy');
    try {
      await fn();
      if (reload) await load();
    } catch (e) {
      say((e as Error).message, 'error');
    } finally {
      busy = false;
      dialog.classList.remove('busy');
    }
  }

  function row(m: Memory, why?: string): HTMLLIElement {
    const text = el('p', { className: 'mem-text', textContent: m.text });
    const meta = el('span', { className: 'mem-meta', textContent: `${m.kind} · ${formatUpdated(m.updated)}${why ? ' · ' + why : ''}` });
    const edit = el('button', { type: 'button', className: 'mem-edit', textContent: 'Edit' });
    const del = el('button', { type: 'button', className: 'mem-del', textContent: 'Delete' });
    del.setAttribute('aria-label', `Delete memory "${m.text.slice(0, 40)}"`);
    const actions = el('div', { className: 'mem-actions' }, meta, edit, del);
    const li = el('li', { className: 'mem' }, text, actions);
    li.dataset.id = m.id;
    edit.onclick = () => {
      const area = el('textarea', { className: 'mem-edit-text', value: m.text, rows: 3 });
      area.setAttribute('aria-label', 'Memory text');
      const save = el('button', { type: 'button', className: 'mem-save', textContent: 'Save' });
      const cancel = el('button', { type: 'button', className: 'mem-cancel', textContent: 'Cancel' });
      const editor = el('div', { className: 'mem-editor' }, area, el('div', { className: 'mem-row' }, save, cancel));
      cancel.onclick = () => editor.replaceWith(text);
      save.onclick = () => void act(async () => {
        await editMemory(getSettings(), m.id, { text: area.value });
        say('Saved.', 'info');
      });
      text.replaceWith(editor);
      area.focus();
    };
    del.onclick = () => void act(async () => {
      await deleteMemory(getSettings(), m.id);
      say(`Deleted "${m.text.length > 60 ? m.text.slice(0, 60) + '…' : m.text}".`, 'info', true);
    });
    return li;
  }

  function show(items: { memory: Memory; why?: unknown }[], empty: string) {
    if (items.length === 0) list.replaceChildren(el('li', { className: 'mem-empty', textContent: empty }));
    else list.replaceChildren(...items.map((h) => row(h.memory, Array.isArray(h.why) ? h.why.join(', ') : undefined)));
  }

  // The list or, with text in the search box, the search results.
  async function load() {
    const q = query.value.trim();
    if (q) {
      const hits: MemoryHit[] = await searchMemories(getSettings(), q);
      show(hits, `No memory matches "${q}".`);
    } else {
      show((await listMemories(getSettings())).map((m) => ({ memory: m })), 'No memories yet. Add one below.');
    }
  }

  searchForm.onsubmit = (e) => {
    e.preventDefault();
    void act(async () => {});
  };
  query.addEventListener('search', () => searchForm.requestSubmit()); // the field's clear (×) button
  addForm.onsubmit = (e) => {
    e.preventDefault();
    void act(async () => {
      await addMemory(getSettings(), addText.value, addKind.value);
      addText.value = '';
      say('Added.', 'info');
    });
  };
  close.onclick = () => dialog.close();

  const refresh = () => act(async () => {});
  return {
    refresh,
    async open() {
      notice.hidden = true;
      if (!dialog.open) dialog.showModal();
      await refresh();
    },
  };
}
