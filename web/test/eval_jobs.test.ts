import { afterEach, describe, expect, it, vi } from 'vitest';
import { cancelJob, EvalJob, jobStatus, listJobs, mountRunForm, parseJob, renderJobs, splitTasks, startJob } from '../src/eval_jobs';
import { defaultSettings } from '../src/settings';

const job = (over: Partial<EvalJob> = {}): EvalJob => ({
  id: 'job-1', tasks: ['truthfulqa_mc1'], model: 'stories260K', limit: 5, state: 'running', phase: 'answering',
  done: 12, total: 40, ...over,
});

afterEach(() => vi.unstubAllGlobals());

describe('eval jobs', () => {
  it('checks what the server sends', () => {
    expect(parseJob({ id: 'job-2', state: 'queued', tasks: ['mmlu', 3], done: 'x' })).toMatchObject({
      id: 'job-2', state: 'queued', tasks: ['mmlu'], done: 0, limit: null,
    });
    expect(() => parseJob({ id: 'job-2', state: 'paused' })).toThrow(/unknown state "paused"/);
    expect(() => parseJob(null)).toThrow(/not an object/);
  });

  it('says where a run is', () => {
    expect(jobStatus(job())).toBe('running · answering 12 / 40 (30%)');
    expect(jobStatus(job({ phase: 'planning', done: 0, total: 0 }))).toBe('running · planning');
    expect(jobStatus(job({ state: 'cancelling' }))).toBe('cancelling · answering 12 / 40 (30%)');
    expect(jobStatus(job({ state: 'failed', error: 'no data' }))).toBe('failed: no data');
    expect(jobStatus(job({ state: 'finished' }))).toBe('finished');
    expect(splitTasks(' mmlu, gsm8k,,truthfulqa_mc1 ')).toEqual(['mmlu', 'gsm8k', 'truthfulqa_mc1']);
  });

  it('draws progress and offers Cancel only while a run can stop', () => {
    const list = document.createElement('ul');
    const cancelled: string[] = [];
    renderJobs(list, [job(), job({ id: 'job-0', state: 'finished', done: 40 }), job({ id: 'job-3', state: 'queued', done: 0, total: 0 })],
      (id) => cancelled.push(id));
    const items = list.querySelectorAll('li.ej-job');
    expect(items.length).toBe(3);
    expect(items[0].querySelector('.ej-what')!.textContent).toBe('truthfulqa_mc1 on stories260K (limit 5)');
    const bar = items[0].querySelector('progress')!;
    expect([bar.value, bar.max]).toEqual([12, 40]);
    expect(items[1].querySelector('button')).toBeNull();
    (items[2].querySelector('button.ej-cancel') as HTMLButtonElement).click();
    (items[0].querySelector('button.ej-cancel') as HTMLButtonElement).click();
    expect(cancelled).toEqual(['job-3', 'job-1']);
  });

  it('the form sends a checked request and shows what is wrong', async () => {
    const sent: unknown[] = [];
    const form = mountRunForm(async (req) => {
      sent.push(req);
      if (req.tasks.includes('bad')) throw new Error('field "tasks": unknown task "bad"');
    });
    document.body.append(form.root);
    form.setChoices(['stories260K', 'llama'], ['mmlu', 'truthfulqa_mc1']);
    expect([...form.root.querySelectorAll('#ej-task-names option')].map((o) => (o as HTMLOptionElement).value)).toEqual(['mmlu', 'truthfulqa_mc1']);
    const f = form.root.querySelector('form')!;
    const note = form.root.querySelector('.ej-note')!;
    const tasks = form.root.querySelector('#ej-tasks') as HTMLInputElement;
    const limit = form.root.querySelector('#ej-limit') as HTMLInputElement;
    const submit = async () => {
      f.dispatchEvent(new Event('submit', { cancelable: true }));
      await new Promise((r) => setTimeout(r, 0));
    };
    await submit();
    expect(note.textContent).toBe('Name at least one task.');
    tasks.value = 'mmlu';
    limit.value = '2.5';
    await submit();
    expect(note.textContent).toMatch(/whole number/);
    limit.value = '3';
    (form.root.querySelector('#ej-model') as HTMLSelectElement).value = 'llama';
    await submit();
    expect(sent).toEqual([{ tasks: ['mmlu'], model: 'llama', limit: 3 }]);
    expect(note.textContent).toBe('');
    tasks.value = 'bad';
    limit.value = '';
    await submit();
    expect(sent[1]).toEqual({ tasks: ['bad'], model: 'llama' });
    expect(note.textContent).toBe('field "tasks": unknown task "bad"');
    // A model list without the picked model keeps the first one.
    form.setChoices(['stories260K'], []);
    expect((form.root.querySelector('#ej-model') as HTMLSelectElement).value).toBe('stories260K');
    form.root.remove();
  });

  it('talks to the jobs API with JSON and the key, and reports its errors', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const replies: Response[] = [
      new Response(JSON.stringify({ jobs: [job()], tasks: ['mmlu'] }), { status: 200 }),
      new Response(JSON.stringify(job({ id: 'job-2', state: 'queued' })), { status: 202 }),
      new Response(JSON.stringify(job({ state: 'cancelling' })), { status: 200 }),
      new Response(JSON.stringify({ error: { message: 'field "model": unknown model', type: 'invalid_argument' } }), { status: 400 }),
    ];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return replies.shift()!;
    });
    const settings = { ...defaultSettings, apiKey: 'sekrit' };
    const listed = await listJobs(settings);
    expect(listed.tasks).toEqual(['mmlu']);
    expect(listed.jobs[0].done).toBe(12);
    expect((await startJob(settings, { tasks: ['mmlu'], model: 'm', limit: 2 })).state).toBe('queued');
    expect(calls[1].init.method).toBe('POST');
    expect(JSON.parse(calls[1].init.body as string)).toEqual({ tasks: ['mmlu'], model: 'm', limit: 2 });
    expect((calls[1].init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect((calls[1].init.headers as Record<string, string>).Authorization).toBe('Bearer sekrit');
    expect((await cancelJob(settings, 'job-1')).state).toBe('cancelling');
    expect(calls[2].url).toBe('/api/hearth/eval/jobs/job-1/cancel');
    await expect(startJob(settings, { tasks: ['mmlu'], model: 'x' })).rejects.toThrow('field "model": unknown model');
  });
});
