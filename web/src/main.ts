// Wires the DOM to the chat logic. State lives in a few module variables; the whole message list
// is re-rendered on structural changes and only the streaming message is patched per token.
import './style.css';
import { listModels, ModelInfo, serverVersion, streamChat } from './api';
import { renderMarkdown } from './markdown';
import { mountEvalPanel } from './eval_panel';
import { mountMemoryPanel } from './memory_panel';
import { buildRequestBody, ChatMessage, loadSettings, saveSettings, Settings, validateSettings } from './settings';
import {
  Conversation,
  exportConversations,
  ImportError,
  loadConversations,
  MAX_IMPORT_BYTES,
  mergeImported,
  newId,
  parseImport,
  saveConversations,
  StoredMessage,
  titleFor,
} from './store';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  sidebar: $('sidebar'),
  backdrop: $('backdrop'),
  list: $<HTMLUListElement>('conversations'),
  messages: $('messages'),
  input: $<HTMLTextAreaElement>('input'),
  composer: $<HTMLFormElement>('composer'),
  send: $<HTMLButtonElement>('send'),
  stop: $<HTMLButtonElement>('stop'),
  model: $<HTMLSelectElement>('model'),
  modelInfo: $('model-info'),
  notice: $('notice'),
  noticeText: $('notice-text'),
  settings: $<HTMLDialogElement>('settings'),
  settingsForm: $<HTMLFormElement>('settings-form'),
  settingsError: $('settings-error'),
  version: $('version'),
  importFile: $<HTMLInputElement>('import-file'),
};

let settings: Settings = loadSettings(localStorage);
let conversations: Conversation[] = loadConversations(localStorage);
let currentId: string | null = conversations[0]?.id ?? null;
let models: ModelInfo[] = [];
let controller: AbortController | null = null;

const current = () => conversations.find((c) => c.id === currentId) ?? null;

function notify(text: string, kind: 'error' | 'info' = 'error') {
  ui.noticeText.textContent = text;
  ui.notice.className = kind;
  ui.notice.hidden = false;
}
$('notice-close').onclick = () => (ui.notice.hidden = true);

function persist() {
  const problem = saveConversations(localStorage, conversations);
  if (problem) notify(problem);
}

// ---- rendering -------------------------------------------------------------------------------

function renderList() {
  ui.list.replaceChildren(
    ...conversations.map((c) => {
      const li = document.createElement('li');
      li.className = c.id === currentId ? 'active' : '';
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'conv';
      open.textContent = c.title;
      open.title = new Date(c.updated).toLocaleString();
      open.onclick = () => {
        if (controller) return;
        currentId = c.id;
        closeSidebar();
        renderAll();
      };
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'del';
      del.textContent = '×';
      del.setAttribute('aria-label', `Delete "${c.title}"`);
      del.onclick = () => {
        if (controller || !confirm(`Delete "${c.title}"?`)) return;
        conversations = conversations.filter((x) => x.id !== c.id);
        if (currentId === c.id) currentId = conversations[0]?.id ?? null;
        persist();
        renderAll();
      };
      li.append(open, del);
      return li;
    }),
  );
}

function messageBody(m: StoredMessage, el: HTMLElement) {
  const parts: string[] = [];
  if (m.reasoning) {
    parts.push(`<details class="reasoning"><summary>Thinking</summary>${renderMarkdown(m.reasoning)}</details>`);
  }
  parts.push(m.role === 'assistant' ? renderMarkdown(m.content) : '');
  el.innerHTML = parts.join('');
  if (m.role !== 'assistant') {
    const p = document.createElement('p');
    p.className = 'plain';
    p.textContent = m.content; // the user's own text is shown verbatim
    el.append(p);
  }
  if (m.error) {
    const e = document.createElement('p');
    e.className = 'error';
    e.textContent = m.error;
    el.append(e);
  }
  if (m.stopped || m.truncated) {
    const s = document.createElement('p');
    s.className = 'stopped';
    s.textContent = m.stopped ? 'Stopped.' : 'Cut off at the token limit (max_tokens or the context size).';
    el.append(s);
  }
}

function renderMessages() {
  const conv = current();
  const msgs = conv?.messages ?? [];
  if (msgs.length === 0) {
    const empty = document.createElement('div');
    empty.className = 'empty';
    empty.textContent = models.length ? `Chat with ${ui.model.value}` : 'Start a conversation';
    ui.messages.replaceChildren(empty);
    return;
  }
  ui.messages.replaceChildren(
    ...msgs.map((m, i) => {
      const div = document.createElement('div');
      div.className = `msg ${m.role}`;
      const body = document.createElement('div');
      body.className = 'body';
      messageBody(m, body);
      div.append(body);
      const last = i === msgs.length - 1;
      if (m.role === 'assistant' && last && !controller) {
        const actions = document.createElement('div');
        actions.className = 'actions';
        const regen = document.createElement('button');
        regen.type = 'button';
        regen.className = 'regenerate';
        regen.textContent = 'Regenerate';
        regen.onclick = () => regenerate();
        actions.append(regen);
        if (m.model) {
          const tag = document.createElement('span');
          tag.className = 'model-tag';
          tag.textContent = m.model;
          actions.append(tag);
        }
        div.append(actions);
      }
      return div;
    }),
  );
}

function renderAll() {
  renderList();
  renderMessages();
  const busy = controller !== null;
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
  scrollToEnd();
}

function scrollToEnd() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

// Streaming updates are coalesced to one repaint per frame; Markdown re-parses the whole reply.
let pending: { msg: StoredMessage; el: HTMLElement } | null = null;
function scheduleUpdate(msg: StoredMessage) {
  const el = ui.messages.querySelector<HTMLElement>('.msg:last-child .body');
  if (!el) return;
  if (pending) {
    pending = { msg, el };
    return;
  }
  pending = { msg, el };
  requestAnimationFrame(() => {
    if (!pending) return;
    const nearBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 80;
    messageBody(pending.msg, pending.el);
    pending = null;
    if (nearBottom) scrollToEnd();
  });
}

// ---- chatting --------------------------------------------------------------------------------

function historyFor(conv: Conversation): ChatMessage[] {
  // Failed replies are not part of the dialogue; stopped partial replies are.
  return conv.messages.filter((m) => !m.error && m.role !== 'system').map((m) => ({ role: m.role, content: m.content }));
}

async function generate(conv: Conversation) {
  const model = ui.model.value;
  const reply: StoredMessage = { role: 'assistant', content: '', model: model || undefined };
  let body: Record<string, unknown>;
  try {
    if (!model) throw new Error('No model is available; check that the server has one loaded.');
    body = buildRequestBody(settings, model, historyFor(conv));
  } catch (e) {
    reply.error = (e as Error).message;
    conv.messages.push(reply);
    persist();
    renderAll();
    return;
  }
  conv.messages.push(reply);
  conv.model = model;
  controller = new AbortController();
  renderAll();
  try {
    for await (const d of streamChat(settings, body, controller.signal)) {
      reply.content += d.content;
      if (d.reasoning) reply.reasoning = (reply.reasoning ?? '') + d.reasoning;
      if (d.model) reply.model = d.model;
      if (d.finishReason === 'length') reply.truncated = true;
      scheduleUpdate(reply);
    }
  } catch (e) {
    if ((e as Error).name === 'AbortError') reply.stopped = true;
    else reply.error = (e as Error).message;
  } finally {
    pending = null;
    controller = null;
    conv.updated = Date.now();
    conversations.sort((a, b) => b.updated - a.updated);
    persist();
    renderAll();
    ui.input.focus();
  }
}

async function sendMessage(text: string) {
  if (controller || text.trim() === '') return;
  let conv = current();
  if (!conv) {
    conv = { id: newId(), title: titleFor(text), created: Date.now(), updated: Date.now(), messages: [] };
    conversations.unshift(conv);
    currentId = conv.id;
  }
  if (conv.messages.length === 0) conv.title = titleFor(text);
  conv.messages.push({ role: 'user', content: text });
  conv.updated = Date.now();
  persist();
  ui.input.value = '';
  autoGrow();
  await generate(conv);
}

async function regenerate() {
  const conv = current();
  if (!conv || controller) return;
  while (conv.messages.length && conv.messages[conv.messages.length - 1].role === 'assistant') conv.messages.pop();
  if (conv.messages.length === 0) return;
  await generate(conv);
}

ui.composer.onsubmit = (e) => {
  e.preventDefault();
  void sendMessage(ui.input.value);
};
ui.input.onkeydown = (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    void sendMessage(ui.input.value);
  }
};
function autoGrow() {
  ui.input.style.height = 'auto';
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 200)}px`;
}
ui.input.oninput = autoGrow;
ui.stop.onclick = () => controller?.abort();

ui.messages.addEventListener('click', async (e) => {
  const btn = (e.target as HTMLElement).closest('button.copy');
  if (!btn) return;
  const code = btn.closest('pre')?.querySelector('code')?.textContent ?? '';
  try {
    await navigator.clipboard.writeText(code);
    btn.textContent = 'Copied';
  } catch {
    btn.textContent = 'Copy failed';
  }
  setTimeout(() => (btn.textContent = 'Copy'), 1500);
});

$('new-chat').onclick = () => {
  if (controller) return;
  currentId = null;
  closeSidebar();
  renderAll();
  ui.input.focus();
};

// ---- sidebar (drawer on narrow screens) ------------------------------------------------------

function closeSidebar() {
  ui.sidebar.classList.remove('open');
  ui.backdrop.classList.remove('open');
}
$('menu').onclick = () => {
  ui.sidebar.classList.add('open');
  ui.backdrop.classList.add('open');
};
ui.backdrop.onclick = closeSidebar;

// ---- export / import -------------------------------------------------------------------------

$('export').onclick = () => {
  const blob = new Blob([exportConversations(conversations)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `hearth-chats-${new Date().toISOString().slice(0, 10)}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
};

ui.importFile.onchange = async () => {
  const file = ui.importFile.files?.[0];
  ui.importFile.value = '';
  if (!file) return;
  try {
    if (file.size > MAX_IMPORT_BYTES) throw new ImportError(`file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB`);
    const imported = parseImport(await file.text());
    conversations = mergeImported(conversations, imported);
    persist();
    notify(`Imported ${imported.length} conversation${imported.length === 1 ? '' : 's'} from ${file.name}.`, 'info');
    renderAll();
  } catch (e) {
    notify(`Could not import ${file.name}: ${(e as Error).message}`);
  }
};

// ---- memory panel ----------------------------------------------------------------------------

const memoryPanel = mountMemoryPanel($<HTMLDialogElement>('memory'), () => settings);
$('memory-open').onclick = () => {
  closeSidebar();
  void memoryPanel.open();
};

// ---- evaluations page (also reachable as #evaluations) ---------------------------------------

const evalPanel = mountEvalPanel($<HTMLDialogElement>('evals'), () => settings, () => {
  if (location.hash === '#evaluations') history.replaceState(null, '', location.pathname + location.search);
});
const openEvals = () => {
  closeSidebar();
  if (location.hash !== '#evaluations') history.replaceState(null, '', '#evaluations');
  void evalPanel.open();
};
$('evals-open').onclick = openEvals;
window.addEventListener('hashchange', () => {
  if (location.hash === '#evaluations') openEvals();
});
if (location.hash === '#evaluations') openEvals();

// ---- settings --------------------------------------------------------------------------------

$('settings-open').onclick = () => {
  for (const [k, v] of Object.entries(settings)) {
    const field = ui.settingsForm.elements.namedItem(k) as HTMLInputElement | null;
    if (field) field.value = v;
  }
  ui.settingsError.hidden = true;
  ui.settings.showModal();
};
$('settings-cancel').onclick = () => ui.settings.close();
ui.settingsForm.onsubmit = (e) => {
  e.preventDefault();
  const next = { ...settings };
  for (const k of Object.keys(settings) as (keyof Settings)[]) {
    const field = ui.settingsForm.elements.namedItem(k) as HTMLInputElement | null;
    if (field) next[k] = field.value;
  }
  const problems = validateSettings(next);
  if (problems.length) {
    ui.settingsError.textContent = problems.join('. ');
    ui.settingsError.hidden = false;
    return;
  }
  const keyChanged = next.apiKey !== settings.apiKey;
  settings = next;
  saveSettings(localStorage, settings);
  ui.settings.close();
  if (keyChanged) void loadModels();
};

// ---- models ----------------------------------------------------------------------------------

function describeModel(m: ModelInfo | undefined): string {
  if (!m) return '';
  const bits: string[] = [];
  if (m.owned_by) bits.push(m.owned_by);
  for (const key of ['context_length', 'n_ctx', 'max_context_length', 'quantization', 'size']) {
    const v = m[key] ?? (m.meta as any)?.[key];
    if (typeof v === 'number' || typeof v === 'string') bits.push(`${key.replace(/_/g, ' ')}: ${v}`);
  }
  return bits.join(' · ');
}

async function loadModels() {
  try {
    models = await listModels(settings);
    const saved = localStorage.getItem('hearth.model');
    ui.model.replaceChildren(
      ...models.map((m) => {
        const o = document.createElement('option');
        o.value = m.id;
        o.textContent = m.id;
        return o;
      }),
    );
    if (models.length === 0) notify('The server lists no models. Pull or load one, then reload this page.');
    else if (saved && models.some((m) => m.id === saved)) ui.model.value = saved;
    ui.modelInfo.textContent = describeModel(models.find((m) => m.id === ui.model.value));
    ui.notice.hidden = ui.notice.className === 'error' && models.length > 0 ? true : ui.notice.hidden;
  } catch (e) {
    notify(`Could not list models: ${(e as Error).message}`);
  }
  renderMessages();
}
ui.model.onchange = () => {
  localStorage.setItem('hearth.model', ui.model.value);
  ui.modelInfo.textContent = describeModel(models.find((m) => m.id === ui.model.value));
};

// Another tab changed history: pick it up unless this tab is mid-reply.
window.addEventListener('storage', (e) => {
  if (e.key === 'hearth.conversations' && !controller) {
    conversations = loadConversations(localStorage);
    if (!current()) currentId = conversations[0]?.id ?? null;
    renderAll();
  }
});

renderAll();
void loadModels();
void serverVersion(settings).then((v) => {
  if (v) ui.version.textContent = `hearth ${v}`;
});
