// The Evaluations dialog: lists the server's finished eval runs (task, model, date, main metrics);
// ticking one or several draws them side by side with the report's charts (eval_charts.ts). A
// form starts new runs of the built-in tasks on the server, whose progress shows until they
// finish and join the list (eval_jobs.ts).
import { listModels } from './api';
import { EvalRun, formatValue, metricTitle, renderEvalView } from './eval_charts';
import { getRun, getSamples, listRuns, listSampleTasks, RunSummary } from './eval_api';
import { cancelJob, EvalJob, isActive, listJobs, mountRunForm, renderJobs, startJob } from './eval_jobs';
import { mountSampleBrowser, sampleCss } from './eval_samples';
import { Settings } from './settings';
import { el } from './dom';

/** How often the page asks for the progress of runs in flight. */
export const JOB_POLL_MS = 1000;

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
  const jobList = el('ul', { id: 'evals-jobs' });
  const form = mountRunForm(async (req) => {
    const job = await startJob(getSettings(), req);
    jobs = [job, ...jobs.filter((j) => j.id !== job.id)];
    showJobs();
    schedulePoll();
  });
  const jobsBox = el('div', { className: 'ev-jobs', hidden: true }, form.root, jobList);
  if (!document.getElementById('hes-style')) document.head.append(el('style', { id: 'hes-style', textContent: sampleCss }));
  dialog.replaceChildren(
    el('div', { className: 'ev-head' }, el('h2', { textContent: 'Evaluations' }), close),
    notice,
    jobsBox,
    el('div', { className: 'ev-runs-wrap' }, table),
    charts,
    el('section', { className: 'ev-samples' }, el('h3', { textContent: 'Samples' }), samples),
  );

  const selected = new Set<string>();
  const cache = new Map<string, EvalRun>(); // finished runs do not change
  let order: string[] = [];
  let generation = 0; // a newer selection's drawing wins over a slower older one
  let jobs: EvalJob[] = [];
  let poll: ReturnType<typeof setTimeout> | undefined;

  function showJobs() {
    renderJobs(jobList, jobs, (id) => {
      cancelJob(getSettings(), id)
        .then((j) => {
          jobs = jobs.map((x) => (x.id === j.id ? j : x));
          showJobs();
        })
        .catch((e) => say((e as Error).message));
    });
  }

  function schedulePoll() {
    if (poll !== undefined || !dialog.open || !jobs.some(isActive)) return;
    poll = setTimeout(() => {
      poll = undefined;
      void refreshJobs();
    }, JOB_POLL_MS);
  }

  // Progress of the runs in flight; a run that just finished joins the list, shown.
  async function refreshJobs() {
    const before = new Map(jobs.map((j) => [j.id, j.state]));
    try {
      jobs = (await listJobs(getSettings())).jobs;
    } catch (e) {
      say((e as Error).message);
      return;
    }
    showJobs();
    const finished = jobs.filter((j) => j.state === 'finished' && j.run && before.has(j.id) && before.get(j.id) !== 'finished');
    if (finished.length > 0) {
      for (const j of finished) selected.add(j.run!);
      await loadRuns();
    }
    schedulePoll();
  }

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

  async function loadRuns() {
    const runs = await listRuns(getSettings());
    order = runs.map((r) => r.id);
    for (const id of [...selected]) if (!order.includes(id)) selected.delete(id);
    // Start with the newest readable run shown, so the page opens on a chart.
    if (selected.size === 0) {
      const first = runs.find((r) => !r.error);
      if (first) selected.add(first.id);
    }
    if (runs.length === 0) list.replaceChildren(el('tr', {}, el('td', { colSpan: 5, className: 'ev-empty', textContent: 'No evaluation runs yet. Start one above, or run: hearth eval run --task … --model …' })));
    else list.replaceChildren(...runs.map(row));
    await draw();
  }

  // The form and the jobs, when this server runs evaluations (a 404 hides them).
  async function loadJobs() {
    try {
      const [state, models] = await Promise.all([listJobs(getSettings()), listModels(getSettings())]);
      jobs = state.jobs;
      form.setChoices(models.map((m) => m.id), state.tasks);
      jobsBox.hidden = false;
      showJobs();
      schedulePoll();
    } catch (e) {
      jobsBox.hidden = true;
      if ((e as { status?: number }).status !== 404) say((e as Error).message);
    }
  }

  close.onclick = () => dialog.close();
  dialog.addEventListener('close', () => {
    if (poll !== undefined) clearTimeout(poll);
    poll = undefined;
    onClose?.();
  });

  return {
    async open() {
      say('');
      if (!dialog.open) dialog.showModal();
      void loadJobs();
      try {
        await loadRuns();
      } catch (e) {
        say((e as Error).message);
      }
    },
  };
}
