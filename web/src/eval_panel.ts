// The Evaluations dialog: lists the server's finished eval runs (task, model, date, main metrics);
// ticking one or several draws them side by side with the report's charts (eval_charts.ts).
import { EvalRun, formatValue, metricTitle, renderEvalView } from './eval_charts';
import { getRun, getSamples, listRuns, listSampleTasks, RunSummary } from './eval_api';
import { mountSampleBrowser, sampleCss } from './eval_samples';
import { Settings } from './settings';

/** "2026-11-24 19:05" in local time from epoch seconds; '' when missing. */
export function formatRunDate(epochSeconds: number | null | undefined): string {
  if (typeof epochSeconds !== 'number' || !Number.isFinite(epochSeconds)) return '';
  const d = new Date(epochSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "mmlu acc 0.2561 · truthfulqa_mc1 acc 0.2500" */
export function summarizeMetrics(r: RunSummary): string {
  return (r.metrics ?? []).map((m) => `${m.task} ${metricTitle(m.metric)} ${formatValue(m.value)}`).join(' · ');
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e: HTMLElementTagNameMap[K] = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
}

export interface EvalPanel {
  open(): Promise<void>;
}

export function mountEvalPanel(dialog: HTMLDialogElement, getSettings: () => Settings, onClose?: () => void): EvalPanel {
  const close = el('button', { type: 'button', className: 'ev-close', textContent: 'Close' });
  const notice = el('p', { id: 'evals-notice', hidden: true });
  notice.setAttribute('role', 'status');
  const list = el('tbody', { id: 'evals-list' });
  const head = el('tr', {}, ...['', 'date', 'model', 'tasks', 'main metrics'].map((t) => el('th', { textContent: t })));
  const table = el('table', { className: 'ev-runs' }, el('thead', {}, head), list);
  const charts = el('div', { id: 'evals-charts' });
  const samples = el('div', { id: 'evals-samples' });
  if (!document.getElementById('hes-style')) document.head.append(el('style', { id: 'hes-style', textContent: sampleCss }));
  dialog.replaceChildren(
    el('div', { className: 'ev-head' }, el('h2', { textContent: 'Evaluations' }), close),
    notice,
    el('div', { className: 'ev-runs-wrap' }, table),
    charts,
    el('section', { className: 'ev-samples' }, el('h3', { textContent: 'Samples' }), samples),
  );

  const selected = new Set<string>();
  const cache = new Map<string, EvalRun>(); // finished runs do not change
  let order: string[] = [];
  let generation = 0; // a newer selection's drawing wins over a slower older one

  function say(text: string) {
    notice.textContent = text;
    notice.hidden = text === '';
  }

  async function draw() {
    const mine = ++generation;
    const ids = order.filter((id) => selected.has(id));
    try {
      const runs: EvalRun[] = [];
      for (const id of ids) {
        let r = cache.get(id);
        if (!r) {
          r = await getRun(getSettings(), id);
          cache.set(id, r);
        }
        runs.push(r);
      }
      if (mine !== generation) return;
      say('');
      renderEvalView(charts, runs);
      void mountSampleBrowser(samples, ids.map((id) => ({ id, label: id })), {
        tasks: (id) => listSampleTasks(getSettings(), id),
        page: (id, task, offset, limit) => getSamples(getSettings(), id, task, offset, limit),
      });
    } catch (e) {
      if (mine === generation) say((e as Error).message);
    }
  }

  function row(r: RunSummary): HTMLTableRowElement {
    const box = el('input', { type: 'checkbox', checked: selected.has(r.id), disabled: !!r.error });
    box.setAttribute('aria-label', `Show run ${r.id}`);
    box.onchange = () => {
      if (box.checked) selected.add(r.id);
      else selected.delete(r.id);
      void draw();
    };
    const model = (r.model ?? '').replace(/^local:/, '').split(/[\\/]/).pop() ?? '';
    const tr = el('tr', { className: 'ev-run' },
      el('td', {}, box),
      el('td', { textContent: formatRunDate(r.date) }),
      el('td', { textContent: model, title: r.model ?? '' }),
      el('td', { textContent: (r.tasks ?? []).join(', ') }),
      el('td', { textContent: r.error ? `unreadable: ${r.error}` : summarizeMetrics(r), className: r.error ? 'ev-bad' : '' }));
    tr.dataset.id = r.id;
    tr.title = r.id;
    return tr;
  }

  close.onclick = () => dialog.close();
  dialog.addEventListener('close', () => onClose?.());

  return {
    async open() {
      say('');
      if (!dialog.open) dialog.showModal();
      try {
        const runs = await listRuns(getSettings());
        order = runs.map((r) => r.id);
        for (const id of [...selected]) if (!order.includes(id)) selected.delete(id);
        // Start with the newest readable run shown, so the page opens on a chart.
        if (selected.size === 0) {
          const first = runs.find((r) => !r.error);
          if (first) selected.add(first.id);
        }
        if (runs.length === 0) list.replaceChildren(el('tr', {}, el('td', { colSpan: 5, className: 'ev-empty', textContent: 'No evaluation runs yet. Run one with: hearth eval run --task … --model …' })));
        else list.replaceChildren(...runs.map(row));
        await draw();
      } catch (e) {
        say((e as Error).message);
      }
    },
  };
}
