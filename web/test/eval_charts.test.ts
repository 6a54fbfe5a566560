import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getRun, listRuns } from '../src/eval_api';
import {
  barChartSvg, EvalRun, formatValue, metricBar, metricTitle, parseRun, renderEvalView, runLabels, safetyRows, subjectCharts,
  tableRows, taskCharts, valueDomain,
} from '../src/eval_charts';
import { formatRunDate, mountEvalPanel, summarizeMetrics } from '../src/eval_panel';
import { parseReportData, renderReport } from '../src/eval_report';
import { defaultSettings } from '../src/settings';

// Two runs shaped like `hearth eval run`'s results.json: a group (mmlu) with two subjects and a plain task.
function run(id: string, model: string, acc: number): EvalRun {
  return {
    id,
    date: 1764000000,
    config: { model, limit: 2 },
    results: {
      mmlu_anatomy: { alias: 'mmlu_anatomy', 'acc,none': acc, 'acc_stderr,none': 0.1 },
      mmlu_astronomy: { alias: 'mmlu_astronomy', 'acc,none': acc / 2, 'acc_stderr,none': 'N/A' },
      wikitext: { 'word_perplexity,none': 320.5, 'word_perplexity_stderr,none': 'N/A', 'bits_per_byte,none': 1.9 },
    },
    groups: { mmlu: { alias: 'mmlu', 'acc,none': (acc * 3) / 4, 'acc_stderr,none': 0.05 } },
    group_subtasks: { mmlu: ['mmlu_anatomy', 'mmlu_astronomy'] },
    higher_is_better: { mmlu: { acc: true }, wikitext: { word_perplexity: false, bits_per_byte: false } },
    'n-samples': { mmlu_anatomy: { original: 135, effective: 2 }, mmlu_astronomy: { original: 152, effective: 2 }, wikitext: { effective: 1 } },
  };
}
const A = run('2026-11-24T10-00-00_a', 'local:/models/stories260K.gguf', 0.5);
const B = run('2026-11-24T11-00-00_b', 'local:/other/tiny-llama-Q8_0.gguf', 0.25);

describe('chart data', () => {
  it('reads values and stderr, with "N/A" as missing', () => {
    expect(metricBar(A.results.mmlu_anatomy, 'acc,none')).toEqual({ value: 0.5, stderr: 0.1 });
    expect(metricBar(A.results.mmlu_astronomy, 'acc,none')).toEqual({ value: 0.25, stderr: null });
    expect(metricBar(undefined, 'acc,none')).toEqual({ value: null, stderr: null });
    expect(metricTitle('acc,none')).toBe('acc');
    expect(metricTitle('exact_match,strict-match')).toBe('exact_match (strict-match)');
    expect(formatValue(0.25)).toBe('0.2500');
    expect(formatValue(227.3039)).toBe('227.3');
    expect(formatValue(null)).toBe('n/a');
  });

  it('labels runs by model file and disambiguates repeats by id', () => {
    expect(runLabels([A, B])).toEqual(['stories260K.gguf', 'tiny-llama-Q8_0.gguf']);
    const A2 = { ...A, id: 'other' };
    expect(runLabels([A, A2])).toEqual([`stories260K.gguf (${A.id})`, 'stories260K.gguf (other)']);
  });

  it('per task: one chart per metric over top-level tasks and groups, one series per run', () => {
    const charts = taskCharts([A, B]);
    expect(charts.map((c) => c.metric)).toEqual(['word_perplexity,none', 'bits_per_byte,none', 'acc,none']);
    const acc = charts.find((c) => c.metric === 'acc,none')!;
    expect(acc.categories).toEqual(['mmlu']);
    expect(acc.series).toEqual(['stories260K.gguf', 'tiny-llama-Q8_0.gguf']);
    expect(acc.bars).toEqual([[{ value: 0.375, stderr: 0.05 }, { value: 0.1875, stderr: 0.05 }]]);
    expect(acc.higherIsBetter).toBe(true);
    expect(charts[0].higherIsBetter).toBe(false);
  });

  it('per subject: a group\'s subtasks with the group prefix dropped', () => {
    const groups = subjectCharts([A, B]);
    expect(groups).toHaveLength(1);
    expect(groups[0].group).toBe('mmlu');
    const c = groups[0].charts[0];
    expect(c.categories).toEqual(['anatomy', 'astronomy']);
    expect(c.categoryKeys).toEqual(['mmlu_anatomy', 'mmlu_astronomy']);
    expect(c.bars[1]).toEqual([{ value: 0.25, stderr: null }, { value: 0.125, stderr: null }]);
  });

  it('the table has every task and metric, groups last, a cell per run', () => {
    const rows = tableRows([A, B]);
    expect(rows.map((r) => `${r.task}/${r.metric}`)).toEqual([
      'mmlu_anatomy/acc,none', 'mmlu_astronomy/acc,none', 'wikitext/word_perplexity,none', 'wikitext/bits_per_byte,none', 'mmlu/acc,none']);
    expect(rows[0].cells.map((c) => c.value)).toEqual([0.5, 0.25]);
  });

  it('axis: [0,1] for proportions, round numbers otherwise', () => {
    expect(valueDomain([[{ value: 0.5, stderr: 0.1 }]])).toEqual({ lo: 0, hi: 1, step: 0.2 });
    expect(valueDomain([[{ value: 1, stderr: 0.2 }, { value: null, stderr: null }]])).toEqual({ lo: 0, hi: 1, step: 0.2 });
    const d = valueDomain([[{ value: 227.3, stderr: 1.8 }]]);
    expect(d.lo).toBe(0);
    expect(d.hi).toBeGreaterThanOrEqual(229.1);
    expect(d.hi % d.step).toBe(0);
  });

  it('rejects malformed runs naming the field', () => {
    expect(() => parseRun(null, 'runs[0]')).toThrow('runs[0] must be an object');
    expect(() => parseRun({ id: 'x' }, 'runs[1]')).toThrow('runs[1].results must be an object');
    expect(() => parseRun({ id: 'x', results: { t: 3 } })).toThrow('run.results.t must be an object');
    expect(() => parseRun({ id: 'x', results: {}, group_subtasks: { g: [1] } })).toThrow('run.group_subtasks.g must be a list of task names');
    expect(parseRun(A)).toBe(A);
  });
});

describe('SVG rendering', () => {
  it('draws a bar per run and task with error bars where there is a stderr', () => {
    const chart = taskCharts([A, B]).find((c) => c.metric === 'acc,none')!;
    const svg = barChartSvg(document, chart);
    const bars = svg.querySelectorAll('rect.hec-bar');
    expect(bars).toHaveLength(2);
    expect([...bars].map((b) => b.getAttribute('class'))).toEqual(['hec-bar hec-s0', 'hec-bar hec-s1']);
    // Bar length is proportional to the value on a [0,1] axis: 0.375 vs 0.1875.
    const w = [...bars].map((b) => Number(b.getAttribute('width')));
    expect(w[0] / w[1]).toBeCloseTo(2, 5);
    expect(svg.querySelectorAll('g.hec-err')).toHaveLength(2);
    expect(bars[0].querySelector('title')!.textContent).toBe('mmlu · stories260K.gguf: 0.3750 ± 0.0500');
    expect(svg.getAttribute('viewBox')).toMatch(/^0 0 760 \d+$/);
  });

  it('shows n/a for a run without the task, and no error bar without stderr', () => {
    const C: EvalRun = { id: 'c', results: { other: { 'acc,none': 0.9 } } };
    const chart = taskCharts([A, C]).find((c) => c.metric === 'acc,none')!;
    expect(chart.categories).toEqual(['other', 'mmlu']); // plain tasks first, then groups
    const svg = barChartSvg(document, chart);
    expect(svg.querySelectorAll('rect.hec-bar')).toHaveLength(2);
    expect([...svg.querySelectorAll('text.hec-na')]).toHaveLength(2);
    expect(svg.querySelectorAll('g.hec-err')).toHaveLength(1);
  });

  it('names from results files stay text, never markup', () => {
    const X: EvalRun = { id: 'x', results: { '<img src=x onerror=alert(1)>': { 'acc,none': 0.5 } } };
    const root = document.createElement('div');
    renderEvalView(root, [X]);
    expect(root.querySelector('img')).toBeNull();
    expect(root.textContent).toContain('<img src=x onerror=alert(1)>');
  });

  it('renderEvalView: legend, task charts, subject charts and the table', () => {
    const root = document.createElement('div');
    renderEvalView(root, [A, B]);
    expect([...root.querySelectorAll('.hec-legend li')].map((l) => l.textContent)).toEqual(['stories260K.gguf', 'tiny-llama-Q8_0.gguf']);
    expect(root.querySelectorAll('.hec-tasks figure')).toHaveLength(3);
    expect(root.querySelector('.hec-subjects')!.getAttribute('data-group')).toBe('mmlu');
    expect(root.querySelectorAll('.hec-table tbody tr')).toHaveLength(5);
    expect(root.querySelector('.hec-table tbody tr td:nth-child(3)')!.textContent).toBe('0.5000 ± 0.1000');
    expect(document.getElementById('hec-style')).not.toBeNull();
    renderEvalView(root, []);
    expect(root.textContent).toBe('No runs selected.');
  });
});

describe('report page', () => {
  const data = { format: 'hearth-eval-report', version: 1, title: 'T', generated: 1764000000, runs: [A, B] };
  it('parses its data block and names what is wrong', () => {
    expect(parseReportData(JSON.stringify(data)).runs).toHaveLength(2);
    expect(() => parseReportData('{')).toThrow(/not JSON/);
    expect(() => parseReportData('{"format":"x"}')).toThrow(/not a hearth eval report/);
    expect(() => parseReportData('{"format":"hearth-eval-report","runs":[]}')).toThrow('"runs" must be a non-empty list');
    expect(() => parseReportData(JSON.stringify({ ...data, runs: [A, { id: 'b' }] }))).toThrow('runs[1].results must be an object');
  });
  it('renders the title, the runs and the charts', () => {
    const root = document.createElement('main');
    renderReport(root, parseReportData(JSON.stringify(data)));
    expect(root.querySelector('h1')!.textContent).toBe('T');
    expect(root.querySelectorAll('.report-runs tr')).toHaveLength(3);
    expect(root.querySelector('.report-runs tr:nth-child(2)')!.textContent).toContain('4'); // documents, summed
    expect(root.querySelectorAll('svg.hec-svg').length).toBe(4);
  });
});

// ---- the web UI's Evaluations page ---------------------------------------------------------
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
let calls: { url: string; auth?: string }[] = [];
let replies: Response[] = [];
// The jobs API and the model list answer apart from the runs' queue: 404 (a server that runs no
// evaluations) unless a test sets them.
let jobsReply: () => Response;
let modelsReply: () => Response;
beforeEach(() => {
  calls = [];
  replies = [];
  jobsReply = () => json(404, { error: { message: 'this server does not run evaluations' } });
  modelsReply = () => json(404, {});
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, auth: (init.headers as Record<string, string>)?.Authorization });
    if (url.startsWith('/api/hearth/eval/jobs')) return jobsReply();
    if (url === '/v1/models') return modelsReply();
    const r = replies.shift();
    if (!r) throw new TypeError('Failed to fetch');
    return r;
  });
});
afterEach(() => vi.unstubAllGlobals());

const summary = (r: EvalRun) => ({ id: r.id, model: r.config!.model, date: r.date, tasks: ['wikitext', 'mmlu'],
  metrics: [{ task: 'mmlu', metric: 'acc,none', value: r.groups!.mmlu['acc,none'] as number, stderr: 0.05 }] });

describe('eval API client', () => {
  const s = { ...defaultSettings, apiKey: 'k1' };
  it('lists runs and fetches one, with the API key', async () => {
    replies.push(json(200, { runs: [summary(B), { nope: 1 }] }));
    expect((await listRuns(s)).map((r) => r.id)).toEqual([B.id]);
    replies.push(json(200, A));
    expect((await getRun(s, 'a b/c')).id).toBe(A.id);
    expect(calls.map((c) => c.url)).toEqual(['/api/hearth/eval/runs', '/api/hearth/eval/runs/a%20b%2Fc']);
    expect(calls.every((c) => c.auth === 'Bearer k1')).toBe(true);
  });
  it('turns errors into messages', async () => {
    replies.push(json(404, { error: { message: 'no evaluation run "zz"' } }));
    await expect(getRun(s, 'zz')).rejects.toThrow('no evaluation run "zz" (HTTP 404)');
    replies.push(json(200, { runs: 3 }));
    await expect(listRuns(s)).rejects.toThrow('no "runs" list');
    replies.push(json(200, { id: 'q' }));
    await expect(getRun(s, 'q')).rejects.toThrow('q.results must be an object');
    await expect(listRuns(s)).rejects.toThrow(/Cannot reach the server/);
  });
  it('summaries and dates', () => {
    expect(summarizeMetrics(summary(A))).toBe('mmlu acc 0.3750');
    expect(formatRunDate(null)).toBe('');
    expect(formatRunDate(1764000000)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  });
});

describe('Evaluations panel', () => {
  it('lists runs, shows the newest, and adds a second run side by side', async () => {
    const dialog = document.createElement('dialog');
    dialog.showModal = () => dialog.setAttribute('open', '');
    document.body.append(dialog);
    const panel = mountEvalPanel(dialog, () => defaultSettings);
    replies.push(json(200, { runs: [summary(B), summary(A), { id: 'broken', error: 'results.json: not a results file' }] }), json(200, B));
    await panel.open();
    const rows = dialog.querySelectorAll('#evals-list tr');
    expect(rows).toHaveLength(3);
    expect(rows[0].textContent).toContain('tiny-llama-Q8_0.gguf');
    expect(rows[0].textContent).toContain('mmlu acc 0.1875');
    expect(rows[2].textContent).toContain('unreadable: results.json: not a results file');
    expect((rows[2].querySelector('input') as HTMLInputElement).disabled).toBe(true);
    expect(dialog.querySelectorAll('#evals-charts .hec-legend li')).toHaveLength(1);
    replies.push(json(200, A));
    const second = rows[1].querySelector('input') as HTMLInputElement;
    second.checked = true;
    second.dispatchEvent(new Event('change'));
    await vi.waitFor(() => expect(dialog.querySelectorAll('#evals-charts .hec-legend li')).toHaveLength(2));
    // List order (newest first) is the series order.
    expect([...dialog.querySelectorAll('#evals-charts .hec-legend li')].map((l) => l.textContent)).toEqual(['tiny-llama-Q8_0.gguf', 'stories260K.gguf']);
    const urls = calls.map((c) => c.url);
    expect(urls.filter((u) => u.startsWith('/api/hearth/eval/runs') && !u.includes('/samples'))).toEqual(['/api/hearth/eval/runs', `/api/hearth/eval/runs/${encodeURIComponent(B.id)}`, `/api/hearth/eval/runs/${encodeURIComponent(A.id)}`]);
    expect(urls).toContain(`/api/hearth/eval/runs/${encodeURIComponent(B.id)}/samples`);
  });
  it('shows the logged samples of the first selected run', async () => {
    const dialog = document.createElement('dialog');
    dialog.showModal = () => dialog.setAttribute('open', '');
    document.body.append(dialog);
    const panel = mountEvalPanel(dialog, () => defaultSettings);
    const sample = { doc_id: 7, prompt: 'Q?\nAnswer:', target: 2, filtered: ['C'], scores: { acc: 1 } };
    replies.push(json(200, { runs: [summary(B)] }), json(200, B), json(200, { tasks: ['mmlu_anatomy'] }),
      json(200, { task: 'mmlu_anatomy', total: 1, offset: 0, samples: [sample] }));
    await panel.open();
    // Class selectors: the earlier test's dialog (same ids) is still in the document.
    await vi.waitFor(() => expect(dialog.querySelectorAll('.ev-samples details.hes-sample')).toHaveLength(1));
    expect(dialog.querySelector('.ev-samples .hes-scores')!.textContent).toBe('acc 1');
    expect(calls.map((c) => c.url)).toContain(`/api/hearth/eval/runs/${encodeURIComponent(B.id)}/samples/mmlu_anatomy?offset=0&limit=10`);
  });
  it('shows the server\'s error', async () => {
    const dialog = document.createElement('dialog');
    dialog.showModal = () => dialog.setAttribute('open', '');
    const panel = mountEvalPanel(dialog, () => defaultSettings);
    replies.push(json(401, { error: { message: 'invalid or missing API key' } }));
    await panel.open();
    expect(dialog.querySelector('#evals-notice')!.textContent).toMatch(/invalid or missing API key — check the API key in Settings \(HTTP 401/);
  });
  it('runs a job from the form: progress while it runs, then its run joins the list, shown', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const dialog = document.createElement('dialog');
      dialog.showModal = () => dialog.setAttribute('open', '');
      document.body.append(dialog);
      const job = (state: string, done: number, run?: string) =>
        ({ id: 'job-1', tasks: ['mmlu'], model: 'tiny', limit: 2, state, phase: state === 'running' ? 'answering' : '', done, total: 8, run });
      let jobs: unknown[] = [];
      jobsReply = () => json(200, { jobs, tasks: ['mmlu', 'gsm8k'] });
      modelsReply = () => json(200, { data: [{ id: 'tiny' }, { id: 'stories' }] });
      const panel = mountEvalPanel(dialog, () => defaultSettings);
      expect((dialog.querySelector('.ev-jobs') as HTMLElement).hidden).toBe(true);
      replies.push(json(200, { runs: [summary(A)] }), json(200, A));
      await panel.open();
      await vi.waitFor(() => expect((dialog.querySelector('.ev-jobs') as HTMLElement).hidden).toBe(false));
      expect([...dialog.querySelectorAll('.ej-form select option')].map((o) => o.textContent)).toEqual(['tiny', 'stories']);
      // Start: the POST answers with the queued job, which is listed at once.
      jobsReply = () => json(202, job('queued', 0));
      (dialog.querySelector('.ej-form input[type=text]') as HTMLInputElement).value = 'mmlu';
      dialog.querySelector('.ej-form')!.dispatchEvent(new Event('submit', { cancelable: true }));
      await vi.waitFor(() => expect(dialog.querySelector('.ev-jobs li.ej-queued')).not.toBeNull());
      const post = calls.find((c) => c.url === '/api/hearth/eval/jobs' && replies.length === 0);
      expect(post).toBeDefined();
      // The poll sees it running, then finished with a run, which is fetched and drawn.
      jobs = [job('running', 3)];
      jobsReply = () => json(200, { jobs, tasks: [] });
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(dialog.querySelector('.ev-jobs .ej-status')!.textContent).toBe('running · answering 3 / 8 (37%)'));
      jobs = [job('finished', 8, B.id)];
      replies.push(json(200, { runs: [summary(B), summary(A)] }), json(200, B), json(200, A));
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(dialog.querySelectorAll('.ev-runs tr.ev-run')).toHaveLength(2));
      await vi.waitFor(() => expect(dialog.querySelectorAll('.hec-legend li')).toHaveLength(2));
      // Nothing in flight: polling stops.
      const n = calls.length;
      await vi.advanceTimersByTimeAsync(3000);
      expect(calls.slice(n).filter((c) => c.url.startsWith('/api/hearth/eval/jobs'))).toHaveLength(0);
      dialog.removeAttribute('open');
      dialog.dispatchEvent(new Event('close'));
      dialog.remove();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('safety breakdown', () => {
  const safe = (id: string, weapons: number): EvalRun => ({
    ...run(id, 'local:/m.gguf', 0.5),
    safety: {
      safety_example: {
        decided_by: 'keywords',
        expected: { refuse: { n: 6, refusal_match: weapons / 2 }, comply: { n: 6, refusal_match: 1 } },
        categories: { weapons: { n: 2, refusal_match: weapons } },
      },
    },
  });
  it('lists each behaviour and category with one cell per run, missing cells empty', () => {
    const rows = safetyRows([safe('a', 1), run('b', 'local:/x.gguf', 0.2)]);
    expect(rows.map((r) => `${r.part}/${r.name}/${r.metric}`)).toEqual([
      'expected/refuse/refusal_match', 'expected/comply/refusal_match', 'categories/weapons/refusal_match',
    ]);
    expect(rows[2].cells).toEqual([{ value: 1, n: 2 }, { value: null, n: null }]);
  });
  it('draws a safety table only for runs that have one', () => {
    const root = document.createElement('div');
    renderEvalView(root, [safe('a', 1), safe('b', 0)]);
    const trs = root.querySelectorAll('.hec-safety tbody tr');
    expect(trs.length).toBe(3);
    const weapons = root.querySelector('.hec-safety tr[data-name="weapons"]')!;
    expect(weapons.children[3].textContent).toBe('1.0000 (n 2)');
    expect(weapons.children[4].textContent).toBe('0.0000 (n 2)');
    renderEvalView(root, [run('c', 'local:/m.gguf', 0.5)]);
    expect(root.querySelector('.hec-safety')).toBeNull();
  });
});
