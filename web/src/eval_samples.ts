// The per-sample viewer: one task's logged samples (`hearth eval run --log-samples`) as the
// runs API (`GET /api/hearth/eval/runs/ID/samples/TASK`) and the HTML report hand them over:
// each sample's scores, target and scored answer on one line, the exact prompt and the raw
// responses behind it. Built with DOM calls and textContent only: a prompt or a model's reply can
// never become markup.

export interface SampleView {
  doc_id: number | string | null;
  prompt?: string;
  choices?: string[];
  target?: unknown;
  responses?: unknown;
  filtered?: unknown;
  filter?: string;
  scores: Record<string, number>;
}

export interface SamplePage {
  task: string;
  total: number;
  offset: number;
  samples: SampleView[];
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks a page's shape and names the first bad field ("samples[2].scores must be an object"). */
export function parseSamplePage(x: unknown, where = 'samples'): SamplePage {
  if (!isObject(x)) throw new Error(`${where} must be an object`);
  if (typeof x.task !== 'string') throw new Error(`${where}.task must be a string`);
  if (typeof x.total !== 'number' || typeof x.offset !== 'number') throw new Error(`${where}.total and .offset must be numbers`);
  if (!Array.isArray(x.samples)) throw new Error(`${where}.samples must be a list`);
  x.samples.forEach((s, i) => {
    if (!isObject(s)) throw new Error(`${where}.samples[${i}] must be an object`);
    if (!isObject(s.scores)) throw new Error(`${where}.samples[${i}].scores must be an object`);
  });
  return x as unknown as SamplePage;
}

/** A value as one line of text: strings as they are, anything else as compact JSON. */
export function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  const flat = Array.isArray(v) && v.length === 1 ? v[0] : v;
  return typeof flat === 'string' ? flat : JSON.stringify(flat);
}

/** "acc 1 · exact_match 0": every per-sample score, short. */
export function scoreLine(scores: Record<string, number>): string {
  return Object.entries(scores)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' · ');
}

function h<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function block(doc: Document, label: string, text: string): HTMLElement {
  const d = h(doc, 'div', 'hes-block');
  d.append(h(doc, 'div', 'hes-label', label), h(doc, 'pre', 'hes-pre', text));
  return d;
}

/** One sample: a summary line (doc, scores, target, scored answer) that opens onto the prompt,
 *  the choices of a multiple-choice request and the raw responses. */
export function sampleElement(doc: Document, s: SampleView): HTMLDetailsElement {
  const d = h(doc, 'details', 'hes-sample');
  d.dataset.doc = String(s.doc_id ?? '');
  const sum = h(doc, 'summary');
  sum.append(
    h(doc, 'span', 'hes-doc', `#${s.doc_id ?? '?'}`),
    h(doc, 'span', 'hes-scores', scoreLine(s.scores)),
    h(doc, 'span', 'hes-target', `target: ${asText(s.target)}`),
    h(doc, 'span', 'hes-answer', `scored: ${asText(s.filtered)}${s.filter && s.filter !== 'none' ? ` (${s.filter})` : ''}`),
  );
  d.append(sum);
  if (s.prompt !== undefined) d.append(block(doc, 'prompt (exactly as sent)', s.prompt));
  if (s.choices?.length) d.append(block(doc, 'choices', s.choices.map((c, i) => `${i}: ${c}`).join('\n')));
  d.append(block(doc, 'responses', asText(s.responses)));
  return d;
}

/** A page of samples with "previous" / "next" when there are more (onPage(offset) fetches or
 *  slices the next page; without it no navigation is drawn). */
export function renderSamplePage(root: HTMLElement, page: SamplePage, pageSize: number, onPage?: (offset: number) => void): void {
  const doc = root.ownerDocument;
  const wrap = h(doc, 'div', 'hes');
  const last = Math.min(page.total, page.offset + page.samples.length);
  const info = h(doc, 'p', 'hes-info',
    page.total === 0 ? `No samples logged for ${page.task}.` : `${page.task}: samples ${page.offset + 1}-${last} of ${page.total}`);
  wrap.append(info);
  if (onPage && page.total > pageSize) {
    const nav = h(doc, 'div', 'hes-nav');
    const prev = h(doc, 'button', 'hes-prev', 'previous');
    const next = h(doc, 'button', 'hes-next', 'next');
    prev.type = next.type = 'button';
    prev.disabled = page.offset === 0;
    next.disabled = last >= page.total;
    prev.onclick = () => onPage(Math.max(0, page.offset - pageSize));
    next.onclick = () => onPage(page.offset + pageSize);
    nav.append(prev, next);
    wrap.append(nav);
  }
  for (const s of page.samples) wrap.append(sampleElement(doc, s));
  root.replaceChildren(wrap);
}

export const sampleCss = `
.hes-info { margin: .4rem 0; opacity: .8; }
.hes-nav { display: flex; gap: .5rem; margin: .3rem 0; }
.hes-sample { border-top: 1px solid rgba(128,128,128,.3); padding: .3rem 0; }
.hes-sample summary { cursor: pointer; display: flex; gap: 1rem; flex-wrap: wrap; }
.hes-doc { font-weight: 600; min-width: 3rem; }
.hes-target, .hes-answer { font-family: ui-monospace, monospace; max-width: 40ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.hes-label { font-size: .8rem; opacity: .7; margin-top: .4rem; }
.hes-pre { white-space: pre-wrap; word-break: break-word; margin: .2rem 0; padding: .4rem; background: rgba(128,128,128,.1); border-radius: 4px; max-height: 24rem; overflow: auto; }
`;

export interface SampleSource {
  tasks(runId: string): Promise<string[]>;
  page(runId: string, task: string, offset: number, limit: number): Promise<SamplePage>;
}

/** A run picker, a task picker and the page of samples below them. The Evaluations page feeds it
 *  from the runs API, the HTML report from the samples embedded in the file. */
export function mountSampleBrowser(root: HTMLElement, runs: { id: string; label: string }[], source: SampleSource,
  pageSize = 10): Promise<void> {
  const doc = root.ownerDocument;
  const runSel = h(doc, 'select', 'hes-run');
  runSel.setAttribute('aria-label', 'Run');
  for (const r of runs) runSel.append(Object.assign(h(doc, 'option', undefined, r.label), { value: r.id }));
  const taskSel = h(doc, 'select', 'hes-task');
  taskSel.setAttribute('aria-label', 'Task');
  const body = h(doc, 'div', 'hes-body');
  const bar = h(doc, 'div', 'hes-bar');
  bar.append(runSel, taskSel);
  root.replaceChildren(bar, body);
  let generation = 0;
  const fail = (e: unknown) => body.replaceChildren(h(doc, 'p', 'hes-error', (e as Error).message));
  async function show(offset: number) {
    const mine = ++generation;
    try {
      const page = await source.page(runSel.value, taskSel.value, offset, pageSize);
      if (mine === generation) renderSamplePage(body, page, pageSize, (o) => void show(o));
    } catch (e) {
      if (mine === generation) fail(e);
    }
  }
  async function pickRun() {
    const mine = ++generation;
    try {
      const tasks = await source.tasks(runSel.value);
      if (mine !== generation) return;
      taskSel.replaceChildren(...tasks.map((t) => Object.assign(h(doc, 'option', undefined, t), { value: t })));
      taskSel.disabled = tasks.length === 0;
      if (!tasks.length) {
        body.replaceChildren(h(doc, 'p', 'hes-info', 'This run logged no samples (run it with --log-samples).'));
        return;
      }
      await show(0);
    } catch (e) {
      if (mine === generation) fail(e);
    }
  }
  runSel.onchange = () => void pickRun();
  taskSel.onchange = () => void show(0);
  if (!runs.length) {
    body.replaceChildren(h(doc, 'p', 'hes-info', 'No runs selected.'));
    return Promise.resolve();
  }
  return pickRun();
}
