// Starting evaluation runs from the Evaluations page: a form (built-in tasks, a model the server
// answers for, a document limit), the runs in progress with their progress bars and Cancel
// buttons, and the client of `hearth serve`'s jobs API (/api/hearth/eval/jobs, see
// src/server/eval_routes.h). Finished jobs name their run, which the page's run list then shows.
import { httpError } from './api';
import { ApiError } from './sse';
import { Settings, requestHeaders } from './settings';
import { el } from './dom';

export const JOBS_API = '/api/hearth/eval/jobs';

export type JobState = 'queued' | 'running' | 'cancelling' | 'finished' | 'failed' | 'cancelled';

export interface EvalJob {
  id: string;
  tasks: string[];
  model: string;
  limit: number | null;
  state: JobState;
  phase: string;
  done: number;
  total: number;
  error?: string;
  run?: string;
}

export interface JobRequest {
  tasks: string[];
  model: string;
  limit?: number;
}

const STATES: JobState[] = ['queued', 'running', 'cancelling', 'finished', 'failed', 'cancelled'];

/** Checks a job object from the server; throws naming what is wrong. */
export function parseJob(v: any): EvalJob {
  if (!v || typeof v !== 'object') throw new Error('a job is not an object');
  if (typeof v.id !== 'string') throw new Error('a job has no id');
  if (!STATES.includes(v.state)) throw new Error(`job ${v.id} has an unknown state ${JSON.stringify(v.state)}`);
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return {
    id: v.id,
    tasks: Array.isArray(v.tasks) ? v.tasks.filter((t: unknown) => typeof t === 'string') : [],
    model: typeof v.model === 'string' ? v.model : '',
    limit: typeof v.limit === 'number' ? v.limit : null,
    state: v.state,
    phase: typeof v.phase === 'string' ? v.phase : '',
    done: num(v.done),
    total: num(v.total),
    error: typeof v.error === 'string' ? v.error : undefined,
    run: typeof v.run === 'string' ? v.run : undefined,
  };
}

export function isActive(j: EvalJob): boolean {
  return j.state === 'queued' || j.state === 'running' || j.state === 'cancelling';
}

/** "running · answering 12 / 40 (30%)", "finished", "failed: why". */
export function jobStatus(j: EvalJob): string {
  if (j.state === 'failed') return `failed: ${j.error ?? 'no reason given'}`;
  if (j.state === 'running' || j.state === 'cancelling') {
    const what = j.state === 'cancelling' ? 'cancelling' : 'running';
    if (j.phase === 'answering' && j.total > 0)
      return `${what} · answering ${j.done} / ${j.total} (${Math.floor((100 * j.done) / j.total)}%)`;
    return j.phase ? `${what} · ${j.phase}` : what;
  }
  return j.state;
}

/** The form's tasks field: "mmlu, gsm8k" -> ["mmlu", "gsm8k"]. */
export function splitTasks(text: string): string[] {
  return text.split(/[\s,]+/).filter((t) => t !== '');
}

async function call(settings: Settings, method: string, path: string, body?: unknown): Promise<any> {
  let res: Response;
  const headers: Record<string, string> = { ...requestHeaders(settings) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    res = await fetch(JOBS_API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(`Cannot reach the server at ${location.origin} (${(e as Error).message}). Is hearth still running?`);
  }
  if (!res.ok) {
    if (res.status === 404 && path === '') throw new ApiError('This server does not run evaluations', 404);
    throw await httpError(res);
  }
  const out = await res.json().catch(() => undefined);
  if (out === undefined) throw new ApiError(`${method} ${JOBS_API}${path} returned a body that is not JSON`);
  return out;
}

/** The jobs (newest first) and the built-in task names a job may name. */
export async function listJobs(settings: Settings): Promise<{ jobs: EvalJob[]; tasks: string[] }> {
  const body = await call(settings, 'GET', '');
  if (!Array.isArray(body?.jobs)) throw new ApiError(`GET ${JOBS_API} returned an unexpected body (no "jobs" list)`);
  return {
    jobs: body.jobs.map(parseJob),
    tasks: Array.isArray(body.tasks) ? body.tasks.filter((t: unknown) => typeof t === 'string') : [],
  };
}

export async function startJob(settings: Settings, req: JobRequest): Promise<EvalJob> {
  return parseJob(await call(settings, 'POST', '', req));
}

export async function cancelJob(settings: Settings, id: string): Promise<EvalJob> {
  return parseJob(await call(settings, 'POST', `/${encodeURIComponent(id)}/cancel`, {}));
}


/** One row per job: tasks on model, a progress bar, the status line, Cancel while it can. */
export function renderJobs(list: HTMLElement, jobs: EvalJob[], onCancel: (id: string) => void): void {
  list.replaceChildren(
    ...jobs.map((j) => {
      const bar = el('progress', { max: Math.max(j.total, 1), value: j.state === 'finished' ? Math.max(j.total, 1) : j.done });
      bar.setAttribute('aria-label', `Progress of ${j.id}`);
      const status = el('span', { className: 'ej-status', textContent: jobStatus(j) });
      const li = el('li', { className: `ej-job ej-${j.state}` },
        el('span', { className: 'ej-what', textContent: `${j.tasks.join(', ')} on ${j.model}${j.limit ? ` (limit ${j.limit})` : ''}` }),
        bar, status);
      if (j.state === 'queued' || j.state === 'running') {
        const cancel = el('button', { type: 'button', className: 'ej-cancel', textContent: 'Cancel' });
        cancel.onclick = () => onCancel(j.id);
        li.append(cancel);
      }
      li.dataset.id = j.id;
      return li;
    }),
  );
}

export interface RunForm {
  root: HTMLElement;
  /** Fills the model and task suggestions. */
  setChoices(models: string[], tasks: string[]): void;
}

/** The "New run" form; `onStart` gets a checked request (or the form shows what is missing). */
export function mountRunForm(onStart: (req: JobRequest) => Promise<void>): RunForm {
  const tasks = el('input', { id: 'ej-tasks', type: 'text', placeholder: 'truthfulqa_mc1, mmlu', required: true });
  tasks.setAttribute('list', 'ej-task-names');
  const names = el('datalist', { id: 'ej-task-names' });
  const model = el('select', { id: 'ej-model' });
  const limit = el('input', { id: 'ej-limit', type: 'number', min: '1', step: '1', placeholder: 'all' });
  const start = el('button', { type: 'submit', id: 'ej-start', textContent: 'Start run' });
  const note = el('span', { className: 'ej-note' });
  note.setAttribute('role', 'status');
  const label = (text: string, input: HTMLElement) => el('label', {}, text, input);
  const form = el('form', { className: 'ej-form' },
    label('Tasks ', tasks), names, label('Model ', model), label('Limit ', limit), start, note);
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const req: JobRequest = { tasks: splitTasks(tasks.value), model: model.value };
    if (req.tasks.length === 0) {
      note.textContent = 'Name at least one task.';
      return;
    }
    if (!req.model) {
      note.textContent = 'Pick a model.';
      return;
    }
    if (limit.value !== '') {
      const n = Number(limit.value);
      if (!Number.isInteger(n) || n < 1) {
        note.textContent = 'The limit is a whole number of documents per task (1 or more), or empty for all.';
        return;
      }
      req.limit = n;
    }
    start.disabled = true;
    note.textContent = '';
    try {
      await onStart(req);
    } catch (e) {
      note.textContent = (e as Error).message;
    } finally {
      start.disabled = false;
    }
  };
  return {
    root: el('section', { className: 'ej' }, el('h3', { textContent: 'New run' }), form),
    setChoices(models: string[], taskNames: string[]) {
      const keep = model.value;
      model.replaceChildren(...models.map((m) => el('option', { value: m, textContent: m })));
      if (models.includes(keep)) model.value = keep;
      names.replaceChildren(...taskNames.map((t) => el('option', { value: t })));
    },
  };
}
