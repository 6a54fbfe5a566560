// Opens an HTML report written by `hearth eval report` in headless Chromium (playwright-core) and
// checks that it draws its charts and table from its own data with no network at all.
// Usage: node eval_report.mjs REPORT.html EXPECTED_RUNS [SCREENSHOT.png]
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [file, expectedRuns, shot] = process.argv.slice(2);
if (!file || !expectedRuns) {
  console.error('usage: node eval_report.mjs REPORT.html EXPECTED_RUNS [SCREENSHOT.png]');
  process.exit(2);
}
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(join(repo, 'web/package.json'))('playwright-core');

let failures = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures++;
}

const url = pathToFileURL(resolve(file)).href;
const profile = mkdtempSync(join(tmpdir(), 'hearth-report-e2e-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const requests = [];
context.on('request', (r) => requests.push(r.url()));
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('svg.hec-svg rect.hec-bar', { timeout: 15_000 });
  const n = Number(expectedRuns);
  check((await page.locator('.report-runs tr').count()) === n + 1, `run table lists ${n} runs`);
  check((await page.locator('.hec-legend li').count()) === n, `legend has ${n} series`);
  const charts = await page.locator('figure.hec-chart').count();
  const bars = await page.locator('rect.hec-bar').count();
  check(charts >= 2 && bars >= charts * n, `charts drawn (${charts} charts, ${bars} bars)`);
  const seriesInFirst = await page.locator('figure.hec-chart').first().evaluate(
    (f) => new Set([...f.querySelectorAll('rect.hec-bar')].map((r) => r.getAttribute('data-series'))).size);
  check(seriesInFirst === n, `runs side by side in one chart (${seriesInFirst} series)`);
  check((await page.locator('.hec-err').count()) > 0, 'error bars drawn');
  const subjects = await page.locator('.hec-subjects rect.hec-bar').count();
  check(subjects > 0, `per-subject chart drawn (${subjects} bars)`);
  // The table's numbers are the data block's numbers.
  const same = await page.evaluate(() => {
    const data = JSON.parse(document.getElementById('hearth-eval-data').textContent);
    const row = document.querySelector('.hec-table tbody tr');
    const v = data.runs[0].results[row.dataset.task]?.[row.dataset.metric] ?? data.runs[0].groups[row.dataset.task][row.dataset.metric];
    return row.children[2].textContent.startsWith(v.toFixed(4).slice(0, 6));
  });
  check(same, 'table values match the embedded results');
  // The sample viewer: the first run's first task's samples, opened onto the exact prompt.
  const samples = await page.locator('.report-samples details.hes-sample').count();
  check(samples > 0, `sample viewer drawn (${samples} samples)`);
  if (samples > 0) {
    await page.locator('.report-samples details.hes-sample summary').first().click();
    const prompt = await page.locator('.report-samples details.hes-sample .hes-pre').first().textContent();
    check(/Answer:\s*$/.test(prompt ?? ''), 'a sample opens onto its prompt');
  }
  const box = await page.locator('svg.hec-svg').first().boundingBox();
  check(box && box.width > 300 && box.height > 40, `chart has a real size (${box && Math.round(box.width)}x${box && Math.round(box.height)})`);
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  check(errors.length === 0, `no page errors ${errors.join('; ')}`);
  check(requests.every((u) => u === url), `no requests besides the file itself ${requests.filter((u) => u !== url).join(' ')}`);
} catch (e) {
  failures++;
  console.log(`FAIL ${e.stack ?? e}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
