// The script of `hearth eval report`'s HTML file, built by vite.report.config.ts into one
// standalone file that the hearth binary embeds and inlines into each report. It reads the runs
// from the page's JSON block and draws them with the same module as the web UI (eval_charts.ts).
import { EvalRun, ensureChartStyles, parseRun, renderEvalView, runLabels } from './eval_charts';
import reportCss from './eval_report.css?inline';
import { mountSampleBrowser, parseSamplePage, SamplePage, sampleCss } from './eval_samples';

interface ReportData {
  title: string;
  generated?: number;
  runs: EvalRun[];
}

/** Validates the embedded JSON; the error names the first bad field. */
export function parseReportData(text: string): ReportData {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error(`the report's data block is not JSON (${(e as Error).message})`);
  }
  const d = j as Record<string, unknown>;
  if (!d || typeof d !== 'object' || d.format !== 'hearth-eval-report') throw new Error('the data block is not a hearth eval report ("format")');
  if (!Array.isArray(d.runs) || d.runs.length === 0) throw new Error('"runs" must be a non-empty list');
  return {
    title: typeof d.title === 'string' ? d.title : 'hearth eval report',
    generated: typeof d.generated === 'number' ? d.generated : undefined,
    runs: d.runs.map((r, i) => parseRun(r, `runs[${i}]`)),
  };
}

export function formatDate(epochSeconds: unknown): string {
  if (typeof epochSeconds !== 'number' || !Number.isFinite(epochSeconds)) return '';
  return new Date(epochSeconds * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

export function renderReport(root: HTMLElement, data: ReportData): void {
  const labels = runLabels(data.runs);
  const runs = el('table', undefined, 'hec-table report-runs');
  const head = el('tr');
  head.append(...['run', 'model', 'date', 'limit', 'documents'].map((t) => el('th', t)));
  runs.append(head);
  data.runs.forEach((r, i) => {
    const tr = el('tr');
    const docs = Object.values(r['n-samples'] ?? {}).reduce((n, s) => n + (typeof s?.effective === 'number' ? s.effective : 0), 0);
    const limit = r.config?.limit;
    tr.append(el('td', r.id), el('td', labels[i]), el('td', formatDate(r.date)), el('td', typeof limit === 'number' ? String(limit) : 'all'), el('td', String(docs)));
    runs.append(tr);
  });
  const charts = el('div', undefined, 'report-charts');
  const foot = el('p', `Written by hearth eval report${data.generated ? ' on ' + formatDate(data.generated) : ''}. Self-contained: this file loads nothing.`, 'report-foot');
  // The samples `hearth eval report --samples N` embedded (the first N of each task's log).
  const embedded = (r: EvalRun): Record<string, SamplePage> => {
    const s = r.samples;
    const out: Record<string, SamplePage> = {};
    if (s && typeof s === 'object' && !Array.isArray(s))
      for (const [task, p] of Object.entries(s as Record<string, unknown>)) out[task] = parseSamplePage(p, `${r.id}.samples.${task}`);
    return out;
  };
  const withSamples = data.runs.map((r, i) => ({ id: r.id, label: labels[i], samples: embedded(r) }))
    .filter((r) => Object.keys(r.samples).length > 0);
  const parts: HTMLElement[] = [el('h1', data.title), runs, charts];
  const samples = el('div', undefined, 'report-samples');
  if (withSamples.length) parts.push(el('h2', 'Samples'), samples);
  root.replaceChildren(...parts, foot);
  renderEvalView(charts, data.runs);
  if (withSamples.length)
    void mountSampleBrowser(samples, withSamples, {
      tasks: async (id) => Object.keys(withSamples.find((r) => r.id === id)!.samples),
      // Pages are slices of what the file holds; "of N" still says how many the run logged.
      page: async (id, task, offset, limit) => {
        const p = withSamples.find((r) => r.id === id)!.samples[task];
        return { task, total: p.samples.length, offset, samples: p.samples.slice(offset, offset + limit) };
      },
    });
}

function start() {
  const style = document.createElement('style');
  style.textContent = reportCss + sampleCss;
  document.head.append(style);
  ensureChartStyles(document);
  const root = document.getElementById('hearth-eval-report') ?? document.body;
  try {
    const block = document.getElementById('hearth-eval-data');
    if (!block) throw new Error('the report has no data block (#hearth-eval-data)');
    renderReport(root, parseReportData(block.textContent ?? ''));
  } catch (e) {
    root.replaceChildren(el('p', `Cannot show this report: ${(e as Error).message}`, 'report-error'));
  }
}

if (typeof document !== 'undefined' && document.getElementById('hearth-eval-report')) start();
