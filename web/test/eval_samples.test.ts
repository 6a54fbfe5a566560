import { describe, expect, it, vi } from 'vitest';
import { asText, mountSampleBrowser, parseSamplePage, renderSamplePage, SamplePage, scoreLine } from '../src/eval_samples';
import { parseReportData, renderReport } from '../src/eval_report';

const page = (offset: number, n: number, total: number): SamplePage => ({
  task: 'mmlu_anatomy',
  total,
  offset,
  samples: Array.from({ length: n }, (_, i) => ({
    doc_id: offset + i,
    prompt: `Question ${offset + i}?\nAnswer:`,
    choices: [' A', ' B'],
    target: 1,
    responses: [[[-1.5, false]], [[-0.5, true]]],
    filtered: [[-1.5, false], [-0.5, true]],
    filter: 'none',
    scores: { acc: (offset + i) % 2, acc_norm: 0.5 },
  })),
});

describe('sample viewer', () => {
  it('shows scores, target and the scored answer on one line and the exact prompt behind it', () => {
    const root = document.createElement('div');
    renderSamplePage(root, page(0, 2, 2), 10);
    const items = root.querySelectorAll('details.hes-sample');
    expect(items.length).toBe(2);
    expect(items[1].querySelector('.hes-scores')!.textContent).toBe('acc 1 · acc_norm 0.5000');
    expect(items[1].querySelector('.hes-target')!.textContent).toBe('target: 1');
    expect(items[0].querySelector('.hes-pre')!.textContent).toBe('Question 0?\nAnswer:');
    expect(root.querySelector('.hes-info')!.textContent).toBe('mmlu_anatomy: samples 1-2 of 2');
    expect(root.querySelector('.hes-nav')).toBeNull();
  });
  it('never turns a reply into markup', () => {
    const root = document.createElement('div');
    const p = page(0, 1, 1);
    p.samples[0].responses = ['<img src=x onerror=alert(1)>'];
    renderSamplePage(root, p, 10);
    expect(root.querySelector('img')).toBeNull();
    expect(root.textContent).toContain('<img src=x onerror=alert(1)>');
  });
  it('pages forward and back', () => {
    const root = document.createElement('div');
    const onPage = vi.fn();
    renderSamplePage(root, page(10, 10, 25), 10, onPage);
    (root.querySelector('.hes-next') as HTMLButtonElement).click();
    (root.querySelector('.hes-prev') as HTMLButtonElement).click();
    expect(onPage.mock.calls).toEqual([[20], [0]]);
    renderSamplePage(root, page(20, 5, 25), 10, onPage);
    expect((root.querySelector('.hes-next') as HTMLButtonElement).disabled).toBe(true);
  });
  it('checks what it is given and formats values', () => {
    expect(() => parseSamplePage({ task: 't', total: 1, offset: 0, samples: [{}] })).toThrow('samples.samples[0].scores must be an object');
    expect(asText(['only'])).toBe('only');
    expect(asText([1, 2])).toBe('[1,2]');
    expect(scoreLine({ exact_match: 0 })).toBe('exact_match 0');
  });
  it('browses a run\'s tasks from a source', async () => {
    const root = document.createElement('div');
    const source = { tasks: vi.fn(async () => ['gsm8k', 'mmlu_anatomy']), page: vi.fn(async (_id: string, task: string, o: number) => ({ ...page(o, 3, 3), task })) };
    await mountSampleBrowser(root, [{ id: 'r1', label: 'run one' }], source);
    expect(source.page).toHaveBeenCalledWith('r1', 'gsm8k', 0, 10);
    expect(root.querySelectorAll('details.hes-sample').length).toBe(3);
    const none = { tasks: async () => [], page: vi.fn() };
    await mountSampleBrowser(root, [{ id: 'r2', label: 'r2' }], none);
    expect(root.textContent).toContain('logged no samples');
  });
  it('the HTML report draws the samples it embeds', async () => {
    const run = { id: 'r1', date: 1764000000, config: { model: 'local:/m.gguf' }, results: { mmlu_anatomy: { 'acc,none': 0.5 } },
      samples: { mmlu_anatomy: page(0, 3, 40) } };
    const data = parseReportData(JSON.stringify({ format: 'hearth-eval-report', version: 1, title: 'T', runs: [run] }));
    const root = document.createElement('div');
    document.body.append(root);
    renderReport(root, data);
    await new Promise((r) => setTimeout(r, 0));
    expect(root.querySelector('h2')!.textContent).toBe('Samples');
    expect(root.querySelectorAll('.report-samples details.hes-sample').length).toBe(3);
    root.remove();
  });
});
