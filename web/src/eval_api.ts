// Client for `hearth serve`'s read-only evaluation API (/api/hearth/eval/runs, see
// src/server/eval_routes.h): the list of finished runs and one run's results.
import { httpError } from './api';
import { EvalRun, parseRun } from './eval_charts';
import { parseSamplePage, SamplePage } from './eval_samples';
import { ApiError } from './sse';
import { Settings, requestHeaders } from './settings';

export const EVAL_API = '/api/hearth/eval/runs';

export interface RunMetric {
  task: string;
  metric: string; // "acc,none"
  value: number;
  stderr?: number;
}

export interface RunSummary {
  id: string;
  model?: string;
  date?: number | null;
  tasks?: string[];
  metrics?: RunMetric[];
  error?: string; // the run's results.json could not be read
}

async function get(settings: Settings, path: string): Promise<any> {
  let res: Response;
  try {
    res = await fetch(EVAL_API + path, { headers: requestHeaders(settings) });
  } catch (e) {
    throw new ApiError(`Cannot reach the server at ${location.origin} (${(e as Error).message}). Is hearth still running?`);
  }
  if (!res.ok) {
    if (res.status === 404 && path === '') throw new ApiError(`This server has no evaluation API (GET ${EVAL_API} answered 404)`, 404);
    throw await httpError(res);
  }
  const body = await res.json().catch(() => undefined);
  if (body === undefined) throw new ApiError(`GET ${EVAL_API}${path} returned a body that is not JSON`);
  return body;
}

export async function listRuns(settings: Settings): Promise<RunSummary[]> {
  const body = await get(settings, '');
  if (!Array.isArray(body?.runs)) throw new ApiError(`GET ${EVAL_API} returned an unexpected body (no "runs" list)`);
  return body.runs.filter((r: any) => r && typeof r.id === 'string');
}

export async function getRun(settings: Settings, id: string): Promise<EvalRun> {
  const body = await get(settings, '/' + encodeURIComponent(id));
  try {
    return parseRun(body, `run ${id}`);
  } catch (e) {
    throw new ApiError(`GET ${EVAL_API}/${id} returned an unexpected body: ${(e as Error).message}`);
  }
}

/** The tasks a run logged samples for. */
export async function listSampleTasks(settings: Settings, id: string): Promise<string[]> {
  const body = await get(settings, '/' + encodeURIComponent(id) + '/samples');
  if (!Array.isArray(body?.tasks)) throw new ApiError(`GET ${EVAL_API}/${id}/samples returned an unexpected body (no "tasks" list)`);
  return body.tasks.filter((t: unknown) => typeof t === 'string');
}

/** One page of a task's logged samples. */
export async function getSamples(settings: Settings, id: string, task: string, offset: number, limit: number): Promise<SamplePage> {
  const body = await get(settings, `/${encodeURIComponent(id)}/samples/${encodeURIComponent(task)}?offset=${offset}&limit=${limit}`);
  try {
    return parseSamplePage(body, `samples of ${task}`);
  } catch (e) {
    throw new ApiError(`GET ${EVAL_API}/${id}/samples/${task} returned an unexpected body: ${(e as Error).message}`);
  }
}
