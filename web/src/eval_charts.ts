// Charts and the table for finished evaluation runs (results.json in lm-evaluation-harness's
// layout, as `hearth eval run` writes it). The web UI's Evaluations page and the HTML report of
// `hearth eval report` both draw with this module: the report inlines it as a standalone bundle
// (src/eval_report.ts), so both show literally the same charts. Everything is built with DOM
// calls and textContent, so names from a results file can never become markup.
import chartCss from './eval_charts.css?inline';

export interface EvalRun {
  id: string;
  date?: number | null;
  config?: { model?: string; limit?: number | null; [k: string]: unknown };
  results: Record<string, Record<string, unknown>>;
  groups?: Record<string, Record<string, unknown>>;
  group_subtasks?: Record<string, string[]>;
  higher_is_better?: Record<string, Record<string, boolean>>;
  'n-samples'?: Record<string, { original?: number; effective?: number }>;
  [extra: string]: unknown;
}

/** One bar: a value and its standard error, either missing (null). */
export interface Bar {
  value: number | null;
  stderr: number | null;
}

export interface BarChartData {
  title: string;
  metric: string; // "acc,none"
  categories: string[]; // tasks or subjects, one group of bars each
  categoryKeys: string[]; // the full task names behind the categories
  series: string[]; // run labels, one bar per run in each group
  bars: Bar[][]; // [category][series]
  higherIsBetter?: boolean;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks the fields the charts read and names the first bad one ("runs[1].results.mmlu must be an object"). */
export function parseRun(x: unknown, where = 'run'): EvalRun {
  if (!isObject(x)) throw new Error(`${where} must be an object`);
  if (typeof x.id !== 'string' || x.id === '') throw new Error(`${where}.id must be a non-empty string`);
  if (!isObject(x.results)) throw new Error(`${where}.results must be an object`);
  for (const [t, r] of Object.entries(x.results)) if (!isObject(r)) throw new Error(`${where}.results.${t} must be an object`);
  if (x.groups !== undefined) {
    if (!isObject(x.groups)) throw new Error(`${where}.groups must be an object`);
    for (const [g, r] of Object.entries(x.groups)) if (!isObject(r)) throw new Error(`${where}.groups.${g} must be an object`);
  }
  if (x.group_subtasks !== undefined) {
    if (!isObject(x.group_subtasks)) throw new Error(`${where}.group_subtasks must be an object`);
    for (const [g, l] of Object.entries(x.group_subtasks))
      if (!Array.isArray(l) || l.some((t) => typeof t !== 'string')) throw new Error(`${where}.group_subtasks.${g} must be a list of task names`);
  }
  if (x.config !== undefined && !isObject(x.config)) throw new Error(`${where}.config must be an object`);
  return x as EvalRun;
}

/** "0.2500", "12.35", "227.3": enough digits for the size of the number. */
export function formatValue(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return v.toFixed(a >= 100 ? 1 : a >= 10 ? 2 : 4);
}

/** "acc,none" -> "acc"; "exact_match,strict" -> "exact_match (strict)". */
export function metricTitle(key: string): string {
  const [m, f] = key.split(',', 2);
  return f === undefined || f === 'none' ? m : `${m} (${f})`;
}

/** The value and stderr of "metric,filter" in one task's results; "N/A" and missing are null. */
export function metricBar(res: Record<string, unknown> | undefined, key: string): Bar {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (!res) return { value: null, stderr: null };
  const comma = key.indexOf(',');
  const seKey = comma < 0 ? `${key}_stderr` : `${key.slice(0, comma)}_stderr${key.slice(comma)}`;
  return { value: num(res[key]), stderr: num(res[seKey]) };
}

const isMetricKey = (k: string) => k.includes(',') && !k.includes('_stderr,');

/** A short label per run: its model file name, with the run id added when two runs share one. */
export function runLabels(runs: EvalRun[]): string[] {
  const base = runs.map((r) => {
    const m = typeof r.config?.model === 'string' && r.config.model !== '' ? r.config.model : r.id;
    return m.replace(/^local:/, '').split(/[\\/]/).pop() || m;
  });
  return base.map((b, i) => (base.indexOf(b) !== base.lastIndexOf(b) ? `${b} (${runs[i].id})` : b));
}

function taskResults(run: EvalRun, task: string): Record<string, unknown> | undefined {
  return run.results[task] ?? run.groups?.[task];
}

function pushNew(list: string[], items: Iterable<string>) {
  for (const x of items) if (!list.includes(x)) list.push(x);
}

/** Tasks that are not subjects of a group, then the groups, in first-seen order over the runs. */
export function topLevelTasks(runs: EvalRun[]): string[] {
  const members = new Set(runs.flatMap((r) => Object.values(r.group_subtasks ?? {}).flat()));
  const out: string[] = [];
  for (const r of runs) pushNew(out, Object.keys(r.results).filter((t) => !members.has(t)));
  for (const r of runs) pushNew(out, Object.keys(r.groups ?? {}));
  return out;
}

function higherIsBetter(runs: EvalRun[], task: string, key: string): boolean | undefined {
  const m = key.split(',')[0];
  for (const r of runs) {
    const h = r.higher_is_better?.[task]?.[m];
    if (typeof h === 'boolean') return h;
  }
  return undefined;
}

// One chart per metric over the given tasks; a task appears in the charts of the metrics it has.
function chartsFor(runs: EvalRun[], tasks: string[], labels: string[], title: (key: string) => string, short: (t: string) => string): BarChartData[] {
  const keys: string[] = [];
  for (const t of tasks) for (const r of runs) pushNew(keys, Object.keys(taskResults(r, t) ?? {}).filter(isMetricKey));
  return keys.map((key) => {
    const cats = tasks.filter((t) => runs.some((r) => metricBar(taskResults(r, t), key).value !== null));
    return {
      title: title(key),
      metric: key,
      categories: cats.map(short),
      categoryKeys: cats,
      series: labels,
      bars: cats.map((t) => runs.map((r) => metricBar(taskResults(r, t), key))),
      higherIsBetter: cats.length ? higherIsBetter(runs, cats[0], key) : undefined,
    };
  }).filter((c) => c.categories.length > 0);
}

/** Per task: one chart per metric, a group of bars (one per run) for each top-level task and group. */
export function taskCharts(runs: EvalRun[]): BarChartData[] {
  return chartsFor(runs, topLevelTasks(runs), runLabels(runs), metricTitle, (t) => t);
}

/** Per subject: for each group (e.g. mmlu), one chart per metric over its subtasks. */
export function subjectCharts(runs: EvalRun[]): { group: string; charts: BarChartData[] }[] {
  const groups: string[] = [];
  for (const r of runs) pushNew(groups, Object.keys(r.group_subtasks ?? {}));
  const labels = runLabels(runs);
  return groups.map((g) => {
    const subs: string[] = [];
    for (const r of runs) pushNew(subs, r.group_subtasks?.[g] ?? []);
    const prefix = `${g}_`;
    const short = (t: string) => (t.startsWith(prefix) && t.length > prefix.length ? t.slice(prefix.length) : t);
    return { group: g, charts: chartsFor(runs, subs, labels, (k) => `${g}: ${metricTitle(k)} by subject`, short) };
  }).filter((g) => g.charts.length > 0);
}

export interface TableRow {
  task: string;
  metric: string;
  cells: Bar[]; // one per run
}

/** Every task (groups after their subjects) and metric, one cell per run: what `hearth eval compare` prints. */
export function tableRows(runs: EvalRun[]): TableRow[] {
  const tasks: string[] = [];
  for (const r of runs) pushNew(tasks, Object.keys(r.results));
  for (const r of runs) pushNew(tasks, Object.keys(r.groups ?? {}));
  const rows: TableRow[] = [];
  for (const t of tasks) {
    const keys: string[] = [];
    for (const r of runs) pushNew(keys, Object.keys(taskResults(r, t) ?? {}).filter(isMetricKey));
    for (const k of keys) rows.push({ task: t, metric: k, cells: runs.map((r) => metricBar(taskResults(r, t), k)) });
  }
  return rows;
}

export interface SafetyRow {
  task: string;
  part: 'expected' | 'categories'; // by expected behaviour (refuse / comply) or by category
  name: string;
  metric: string;
  cells: { value: number | null; n: number | null }[]; // one per run
}

/** A safety pack's breakdown (results.json's `safety`: by expected behaviour, then by category),
 *  one row per (task, part, name, metric), one cell per run: what `hearth eval compare` prints. */
export function safetyRows(runs: EvalRun[]): SafetyRow[] {
  const rows: SafetyRow[] = [];
  const seen = new Set<string>();
  const parts = ['expected', 'categories'] as const;
  const cellOf = (r: EvalRun, task: string, part: string, name: string): Record<string, unknown> | undefined => {
    const sf = isObject(r.safety) ? r.safety[task] : undefined;
    const p = isObject(sf) ? sf[part] : undefined;
    const c = isObject(p) ? p[name] : undefined;
    return isObject(c) ? c : undefined;
  };
  for (const r of runs) {
    if (!isObject(r.safety)) continue;
    for (const [task, sf] of Object.entries(r.safety)) {
      if (!isObject(sf)) continue;
      for (const part of parts) {
        const p = sf[part];
        if (!isObject(p)) continue;
        for (const [name, c] of Object.entries(p)) {
          if (!isObject(c)) continue;
          for (const metric of Object.keys(c)) {
            const key = [task, part, name, metric].join('\u001f');
            if (metric === 'n' || seen.has(key)) continue;
            seen.add(key);
            rows.push({
              task, part, name, metric,
              cells: runs.map((x) => {
                const cell = cellOf(x, task, part, name);
                const v = cell?.[metric], n = cell?.n;
                return { value: typeof v === 'number' ? v : null, n: typeof n === 'number' ? n : null };
              }),
            });
          }
        }
      }
    }
  }
  return rows;
}

/** The axis range: [0, 1] for proportions (error bars are cut at the ends), else 0 (or the
 *  lowest value) up to a round number above the highest value plus its stderr. */
export function valueDomain(bars: Bar[][]): { lo: number; hi: number; step: number } {
  let lo = 0;
  let hi = 0;
  let proportions = true;
  for (const row of bars)
    for (const b of row) {
      if (b.value === null) continue;
      const se = b.stderr ?? 0;
      if (b.value < 0 || b.value > 1) proportions = false;
      lo = Math.min(lo, b.value - se);
      hi = Math.max(hi, b.value + se);
    }
  if (proportions) return { lo: 0, hi: 1, step: 0.2 };
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { lo: Math.floor(lo / step) * step, hi: Math.ceil(hi / step) * step, step };
}

const SVG = 'http://www.w3.org/2000/svg';
const SERIES_COLORS = 6; // .hec-s0 .. .hec-s5 in eval_charts.css

function svgEl(doc: Document, tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = doc.createElementNS(SVG, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** A horizontal grouped bar chart with stderr error bars, as an <svg> that scales to its box. */
export function barChartSvg(doc: Document, data: BarChartData): SVGSVGElement {
  const nSeries = Math.max(1, data.series.length);
  const width = 760;
  const labelW = 190;
  const plotW = width - labelW - 70; // room on the right for the value text
  const barH = data.categories.length * nSeries > 40 ? 10 : 16;
  const groupH = nSeries * barH + (nSeries - 1) * 2 + 12;
  const top = 6;
  const height = top + data.categories.length * groupH + 26;
  const { lo, hi, step } = valueDomain(data.bars);
  const x = (v: number) => labelW + ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * plotW;

  const svg = svgEl(doc, 'svg', { viewBox: `0 0 ${width} ${height}`, class: 'hec-svg', role: 'img' }) as SVGSVGElement;
  svg.setAttribute('aria-label', `${data.title}: ${data.categories.length} tasks, ${data.series.length} runs`);
  const axisY = top + data.categories.length * groupH;
  for (let t = lo, i = 0; t <= hi + step / 2 && i < 50; t += step, i++) {
    const tx = x(t);
    svg.append(svgEl(doc, 'line', { x1: tx, x2: tx, y1: top, y2: axisY, class: 'hec-grid' }));
    svg.append(svgEl(doc, 'text', { x: tx, y: axisY + 16, class: 'hec-tick', 'text-anchor': 'middle' }, String(Number(t.toFixed(6)))));
  }
  data.categories.forEach((cat, c) => {
    const gy = top + c * groupH + 6;
    const label = svgEl(doc, 'text', { x: labelW - 8, y: gy + (nSeries * (barH + 2) - 2) / 2 + 4, class: 'hec-label', 'text-anchor': 'end' }, clip(cat, 28));
    label.append(svgEl(doc, 'title', {}, data.categoryKeys[c] ?? cat));
    svg.append(label);
    data.bars[c].forEach((b, s) => {
      const y = gy + s * (barH + 2);
      const who = `${data.categoryKeys[c] ?? cat} · ${data.series[s] ?? ''}`;
      if (b.value === null) {
        svg.append(svgEl(doc, 'text', { x: x(0) + 4, y: y + barH - 3, class: 'hec-na' }, 'n/a'));
        return;
      }
      const x0 = x(Math.max(lo, Math.min(0, hi)));
      const x1 = x(b.value);
      const rect = svgEl(doc, 'rect', {
        x: Math.min(x0, x1), y, width: Math.max(1, Math.abs(x1 - x0)), height: barH, rx: 2,
        class: `hec-bar hec-s${s % SERIES_COLORS}`, 'data-task': data.categoryKeys[c] ?? cat, 'data-series': s, 'data-value': b.value,
      });
      rect.append(svgEl(doc, 'title', {}, `${who}: ${formatValue(b.value)}${b.stderr !== null ? ` ± ${formatValue(b.stderr)}` : ''}`));
      svg.append(rect);
      let end = x1;
      if (b.stderr !== null && b.stderr > 0) {
        const ea = x(b.value - b.stderr);
        const eb = x(b.value + b.stderr);
        const cy = y + barH / 2;
        const err = svgEl(doc, 'g', { class: 'hec-err', 'data-stderr': b.stderr });
        err.append(svgEl(doc, 'line', { x1: ea, x2: eb, y1: cy, y2: cy }));
        err.append(svgEl(doc, 'line', { x1: ea, x2: ea, y1: cy - barH / 3, y2: cy + barH / 3 }));
        err.append(svgEl(doc, 'line', { x1: eb, x2: eb, y1: cy - barH / 3, y2: cy + barH / 3 }));
        svg.append(err);
        end = Math.max(end, eb);
      }
      svg.append(svgEl(doc, 'text', { x: end + 4, y: y + barH - 3, class: 'hec-value' }, formatValue(b.value)));
    });
  });
  svg.append(svgEl(doc, 'line', { x1: labelW, x2: labelW + plotW, y1: axisY, y2: axisY, class: 'hec-axis' }));
  return svg;
}

function h<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Adds the charts' stylesheet to the document once (the report has no other CSS to carry it). */
export function ensureChartStyles(doc: Document): void {
  if (doc.getElementById('hec-style')) return;
  const style = doc.createElement('style');
  style.id = 'hec-style';
  style.textContent = chartCss;
  doc.head.append(style);
}

function legend(doc: Document, labels: string[], runs: EvalRun[]): HTMLElement {
  const ul = h(doc, 'ul', 'hec-legend');
  labels.forEach((l, i) => {
    const li = h(doc, 'li');
    li.append(h(doc, 'span', `hec-swatch hec-s${i % SERIES_COLORS}`), h(doc, 'span', 'hec-legend-label', l));
    li.title = runs[i].id;
    ul.append(li);
  });
  return ul;
}

function figure(doc: Document, data: BarChartData): HTMLElement {
  const fig = h(doc, 'figure', 'hec-chart');
  fig.dataset.metric = data.metric;
  const hib = data.higherIsBetter === undefined ? '' : data.higherIsBetter ? ' (higher is better)' : ' (lower is better)';
  fig.append(h(doc, 'figcaption', undefined, data.title + hib), barChartSvg(doc, data));
  return fig;
}

function table(doc: Document, runs: EvalRun[], labels: string[]): HTMLTableElement {
  const t = h(doc, 'table', 'hec-table');
  const head = h(doc, 'tr');
  head.append(h(doc, 'th', undefined, 'task'), h(doc, 'th', undefined, 'metric'), ...labels.map((l) => h(doc, 'th', 'hec-num', l)));
  t.append(h(doc, 'thead'));
  t.tHead!.append(head);
  const body = h(doc, 'tbody');
  for (const row of tableRows(runs)) {
    const tr = h(doc, 'tr');
    tr.dataset.task = row.task;
    tr.dataset.metric = row.metric;
    tr.append(h(doc, 'td', undefined, row.task), h(doc, 'td', undefined, metricTitle(row.metric)));
    for (const c of row.cells) {
      const td = h(doc, 'td', 'hec-num', formatValue(c.value));
      if (c.stderr !== null) td.append(h(doc, 'span', 'hec-se', ` ± ${formatValue(c.stderr)}`));
      tr.append(td);
    }
    body.append(tr);
  }
  t.append(body);
  return t;
}

// Comply rows are benign requests: a refusal there is over-refusal.
function safetyTable(doc: Document, rows: SafetyRow[], labels: string[]): HTMLTableElement {
  const t = h(doc, 'table', 'hec-table');
  const head = h(doc, 'tr');
  head.append(h(doc, 'th', undefined, 'task'), h(doc, 'th', undefined, 'items'), h(doc, 'th', undefined, 'metric'),
    ...labels.map((l) => h(doc, 'th', 'hec-num', l)));
  t.append(h(doc, 'thead'));
  t.tHead!.append(head);
  const body = h(doc, 'tbody');
  for (const row of rows) {
    const tr = h(doc, 'tr');
    tr.dataset.task = row.task;
    tr.dataset.part = row.part;
    tr.dataset.name = row.name;
    tr.append(h(doc, 'td', undefined, row.task), h(doc, 'td', undefined, row.part === 'expected' ? `expected: ${row.name}` : row.name),
      h(doc, 'td', undefined, row.metric));
    for (const c of row.cells) {
      const td = h(doc, 'td', 'hec-num', formatValue(c.value));
      if (c.n !== null) td.append(h(doc, 'span', 'hec-se', ` (n ${c.n})`));
      tr.append(td);
    }
    body.append(tr);
  }
  t.append(body);
  return t;
}

/** Draws everything for the given runs into `root`: legend, per-task charts, per-subject charts, table. */
export function renderEvalView(root: HTMLElement, runs: EvalRun[]): void {
  const doc = root.ownerDocument;
  ensureChartStyles(doc);
  const labels = runLabels(runs);
  const wrap = h(doc, 'div', 'hec');
  if (!runs.length) {
    wrap.append(h(doc, 'p', 'hec-empty', 'No runs selected.'));
    root.replaceChildren(wrap);
    return;
  }
  wrap.append(legend(doc, labels, runs));
  const tasks = h(doc, 'section', 'hec-section hec-tasks');
  tasks.append(h(doc, 'h3', undefined, 'Tasks'), ...taskCharts(runs).map((c) => figure(doc, c)));
  wrap.append(tasks);
  for (const g of subjectCharts(runs)) {
    const sec = h(doc, 'section', 'hec-section hec-subjects');
    sec.dataset.group = g.group;
    sec.append(h(doc, 'h3', undefined, `Subjects of ${g.group}`), ...g.charts.map((c) => figure(doc, c)));
    wrap.append(sec);
  }
  const tsec = h(doc, 'section', 'hec-section');
  const scroll = h(doc, 'div', 'hec-table-wrap');
  scroll.append(table(doc, runs, labels));
  tsec.append(h(doc, 'h3', undefined, 'Table'), scroll);
  wrap.append(tsec);
  const safety = safetyRows(runs);
  if (safety.length) {
    const ssec = h(doc, 'section', 'hec-section hec-safety');
    const sscroll = h(doc, 'div', 'hec-table-wrap');
    sscroll.append(safetyTable(doc, safety, labels));
    ssec.append(h(doc, 'h3', undefined, 'Safety: by expected behaviour and category'), sscroll);
    wrap.append(ssec);
  }
  root.replaceChildren(wrap);
}
