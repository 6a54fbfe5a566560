// Browser end-to-end test of the chat UI with headless Chromium (playwright-core).
// Without HEARTH_URL it serves the built UI (HEARTH_WEB_DIST, default web/dist) from a fake
// OpenAI-compatible server (fake_server.mjs); with HEARTH_URL it drives a running `hearth serve`
// and checks only what does not depend on the model's words.
// Screenshots go to HEARTH_SCREENSHOTS (default build/web-screenshots).
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeServer } from './fake_server.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(repo, 'web/package.json'));
const { chromium } = require('playwright-core');

const fakeMode = !process.env.HEARTH_URL;
const shots = process.env.HEARTH_SCREENSHOTS ?? join(repo, 'build/web-screenshots');
const wait = fakeMode ? 15_000 : 180_000; // a real model may need to load first
mkdirSync(shots, { recursive: true });

let failures = 0;
function check(cond, what) {
  if (cond) {
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}`);
  }
}

const fake = fakeMode ? await startFakeServer(process.env.HEARTH_WEB_DIST ?? join(repo, 'web/dist')) : null;
const base = (process.env.HEARTH_URL ?? fake.url).replace(/\/$/, '');
const profile = mkdtempSync(join(tmpdir(), 'hearth-web-e2e-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1280, height: 800 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const external = [];
context.on('request', (r) => {
  if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) external.push(r.url());
});

const lastAssistant = '.msg.assistant:last-child';
const idle = (page) => page.waitForSelector('#send:not([hidden])', { timeout: wait });
// A reply has started: the fake server streams slowly enough to see the stop button; a real small
// model may finish before it ever shows, so there the sign is the reply's text.
const replying = (page) => fakeMode
  ? page.waitForSelector('#stop:not([hidden])', { timeout: wait })
  : page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').trim().length > 0, lastAssistant, { timeout: wait });
async function send(page, text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

try {
  // ---- desktop ----------------------------------------------------------------------------------
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(base + '/');
  await page.waitForSelector('#model option', { state: 'attached', timeout: wait });
  check((await page.title()) === 'hearth', 'page title is hearth');
  if (fakeMode) {
    check((await page.inputValue('#model')) === 'fake-chat-7b', 'model picker lists /v1/models');
    check((await page.textContent('#model-info')).includes('context length: 8192'), 'model info shows context length');
    await page.waitForFunction(() => document.querySelector('#version').textContent === 'hearth 0.0.0-fake');
    check(true, 'server version shown from /api/version');
  }

  await send(page, fakeMode ? 'hello there' : 'Write a Python function that adds two numbers, in a code block.');
  await replying(page);
  await idle(page);
  const first = await page.textContent(lastAssistant);
  check(first.trim().length > 0, 'streamed reply is rendered');
  if (fakeMode) {
    check(first.includes('Reply number 1 — naïve café.'), 'reply text intact across split chunks and UTF-8');
    check((await page.textContent(`${lastAssistant} pre code .hljs-keyword`)) === 'def', 'code block is highlighted');
    check((await page.textContent(`${lastAssistant} strong`)) === 'done', 'markdown bold rendered');
    check(await page.evaluate(() => window.__xss === undefined && !document.querySelector('[onerror]')), 'model HTML is sanitized');
  }
  await page.screenshot({ path: join(shots, 'desktop-chat.png') });

  await page.click(`${lastAssistant} .regenerate`);
  await replying(page);
  await idle(page);
  check((await page.locator('.msg').count()) === 2, 'regenerate replaces the last reply');
  if (fakeMode) check((await page.textContent(lastAssistant)).includes('Reply number 2'), 'regenerated reply is new');

  // Settings are validated and then mapped into the request.
  await page.click('#settings-open');
  await page.fill('[name=temperature]', 'hot');
  await page.click('#settings-save');
  check((await page.textContent('#settings-error')).includes('Temperature must be a number'), 'invalid setting is rejected with a message');
  await page.fill('[name=temperature]', '0.3');
  await page.fill('[name=seed]', '42');
  await page.fill('[name=top_k]', '20');
  await page.fill('[name=systemPrompt]', 'You are terse.');
  await page.screenshot({ path: join(shots, 'desktop-settings.png') });
  await page.click('#settings-save');
  check(!(await page.isVisible('#settings')), 'settings dialog closes on save');

  // Stop during a slow stream (the fake server's; a real tiny model is done before a click lands).
  if (fakeMode) {
    await send(page, 'slow please');
    await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').length > 20, lastAssistant, { timeout: wait });
    await page.click('#stop');
    await idle(page);
    await page.waitForTimeout(400); // let the fake server notice the closed connection
    const stopped = await page.textContent(lastAssistant);
    await page.waitForTimeout(700);
    check((await page.textContent(lastAssistant)) === stopped, 'stop ends the stream (no more text arrives)');
    check(await page.isVisible(`${lastAssistant} .stopped`), 'stopped reply is marked');
    const req = fake.state.requests.at(-1).body;
    check(req.stream === true && req.temperature === 0.3 && req.seed === 42 && req.top_k === 20, 'settings reach the request body');
    check(req.messages[0].role === 'system' && req.messages[0].content === 'You are terse.', 'system prompt is sent first');
    check(req.messages.length === 4 && req.messages[3].content === 'slow please', 'history is sent with the new message');
    check(fake.state.slowAborted === true, 'server saw the connection closed before the stream ended');

    await send(page, 'make it long');
    await idle(page);
    check((await page.textContent(`${lastAssistant} .stopped`)).includes('token limit'), 'a reply cut at the token limit says so');

    await send(page, 'please fail');
    await idle(page);
    const err = await page.textContent(`${lastAssistant} .error`);
    check(err.includes('context length exceeded: 9000 > 8192 tokens') && err.includes('HTTP 400'), 'HTTP error body is shown to the user');
    await page.screenshot({ path: join(shots, 'desktop-error.png') });

    // The connection itself fails (server gone): say so instead of "Failed to fetch".
    await page.route('**/v1/chat/completions', (route) => route.abort('connectionrefused'));
    await send(page, 'anyone there?');
    await idle(page);
    const down = await page.textContent(`${lastAssistant} .error`);
    check(down.startsWith(`Cannot reach the server at ${base}`), 'network failure is explained');
    await page.unroute('**/v1/chat/completions');
    await send(page, 'hello again');
    await idle(page);
    const sent = fake.state.requests.at(-1).body.messages;
    check(sent.some((m) => m.content === 'This reply goes on and on') && sent.some((m) => m.content.startsWith('word0 ')),
          'cut-off and stopped replies stay in the history');
    check(!sent.some((m) => m.role === 'assistant' && m.content === '') && sent.filter((m) => m.role === 'user').length === 6,
          'failed replies are left out of the history');
  }

  // History survives a reload.
  const before = await page.locator('.msg').count();
  await page.reload();
  await page.waitForSelector('.msg', { timeout: wait });
  check((await page.locator('.msg').count()) === before, 'conversation survives reload');
  check((await page.locator('#conversations li').count()) === 1, 'one conversation in the list');

  // Export, then import a bad file and the good one.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  check(exported.format === 'hearth-conversations' && exported.conversations.length === 1 &&
        exported.conversations[0].messages.length === before, 'export contains the conversation');
  await page.setInputFiles('#import-file', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"other"}') });
  await page.waitForSelector('#notice:not([hidden])');
  const bad = await page.textContent('#notice-text');
  check(bad.includes('Could not import bad.json') && bad.includes('"format" must be "hearth-conversations"'), 'malformed import is rejected clearly');
  await page.setInputFiles('#import-file', { name: 'chats.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)) });
  await page.waitForFunction(() => document.querySelector('#notice-text').textContent.startsWith('Imported 1 conversation'));
  check((await page.locator('#conversations li').count()) === 2, 'import adds the conversation');

  await page.click('#conversations li:nth-child(2) .conv');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(shots, 'desktop-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  await page.click('#new-chat');
  check((await page.locator('.msg').count()) === 0, 'new chat starts empty');

  // Memory panel against the fake server's memory API: add, search, edit, delete, undo.
  if (fakeMode) {
    const rows = '#memory-list .mem';
    await page.click('#memory-open');
    await page.waitForSelector('#memory-list .mem-empty', { timeout: wait });
    check(await page.isVisible('#memory'), 'memory panel opens from the sidebar');
    await page.fill('#memory-add textarea', 'Prefers green tea in the morning');
    await page.selectOption('#memory-add select', 'preference');
    await page.click('#memory-add button[type=submit]');
    await page.waitForSelector(rows, { timeout: wait });
    await page.fill('#memory-add textarea', 'Owns a cat named Pixel');
    await page.click('#memory-add button[type=submit]');
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, rows, { timeout: wait });
    check(fake.state.memories.some((m) => m.kind === 'preference' && m.text === 'Prefers green tea in the morning'), 'add sends text and kind');
    const metas = await page.locator(`${rows} .mem-meta`).allTextContents();
    check(metas.some((t) => /^preference · \d{4}-\d\d-\d\d \d\d:\d\d$/.test(t)), `list shows kind and time (${metas.join(' | ')})`);

    await page.fill('#memory-q', 'green tea');
    await page.press('#memory-q', 'Enter');
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 1, rows, { timeout: wait });
    check((await page.textContent(`${rows} .mem-text`)) === 'Prefers green tea in the morning', 'search finds the memory');

    await page.click(`${rows} .mem-edit`);
    await page.fill(`${rows} .mem-edit-text`, 'Prefers green tea, no sugar');
    await page.click(`${rows} .mem-save`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'Prefers green tea, no sugar', `${rows} .mem-text`, { timeout: wait });
    check(fake.state.memories.some((m) => m.text === 'Prefers green tea, no sugar'), 'inline edit is saved on the server');

    await page.click(`${rows} .mem-del`);
    await page.waitForSelector('#memory-list .mem-empty', { timeout: wait });
    check((await page.textContent('#memory-notice')).includes('Deleted "Prefers green tea, no sugar"'), 'delete is confirmed in the notice');
    await page.screenshot({ path: join(shots, 'desktop-memory.png') });
    await page.click('#memory-notice .mem-undo');
    await page.waitForSelector(rows, { timeout: wait });
    check((await page.textContent(`${rows} .mem-text`)) === 'Prefers green tea, no sugar' &&
          fake.state.memories.every((m) => !m.deleted), 'undo restores the deleted memory');

    await page.fill('#memory-q', '');
    await page.press('#memory-q', 'Enter');
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, rows, { timeout: wait });
    await page.click(`${rows} .mem-edit`);
    await page.fill(`${rows} .mem-edit-text`, '   ');
    await page.click(`${rows} .mem-save`);
    await page.waitForSelector('#memory-notice.error', { timeout: wait });
    check((await page.textContent('#memory-notice')).match(/field "text" is empty \(HTTP 400/), "the server's error is shown in the panel");
    await page.click('#memory .mem-close');
    check(!(await page.isVisible('#memory')), 'memory panel closes');
  }
  // Evaluations page: opened from the sidebar (or #evaluations) it lists the runs, shows the
  // newest one's charts, and a second ticked run joins the same charts side by side.
  // Against a real server, web_serve.sh puts one `hearth eval run` in its HEARTH_HOME first.
  await page.click('#evals-open');
  await page.waitForSelector('#evals-list tr', { timeout: wait });
  check(await page.isVisible('#evals'), 'evaluations page opens from the sidebar');
  check(page.url().endsWith('#evaluations'), 'the evaluations page has its own URL (#evaluations)');
  if (fakeMode || (await page.locator('#evals-list tr.ev-run').count()) > 0) {
    await page.waitForSelector('#evals-charts svg.hec-svg rect.hec-bar', { timeout: wait });
    check(true, 'a chart is drawn for the newest run');
  } else {
    check((await page.textContent('#evals-list')).includes('No evaluation runs yet'), 'an empty run list says how to make one');
  }
  if (fakeMode) {
    const runRows = await page.locator('#evals-list tr.ev-run').allTextContents();
    check(runRows.length === 2 && runRows[0].includes('tiny-llama-Q8_0.gguf') && runRows[0].includes('mmlu acc 0.3750'),
          `run list shows model and main metrics (${runRows[0]})`);
    check((await page.locator('#evals-charts .hec-subjects figcaption').first().textContent()).startsWith('mmlu: acc by subject'),
          'per-subject chart for the mmlu group');
    await page.check('#evals-list tr.ev-run:nth-child(2) input');
    await page.waitForFunction(() => document.querySelectorAll('#evals-charts .hec-legend li').length === 2, null, { timeout: wait });
    const bars = await page.locator('#evals-charts .hec-tasks figure[data-metric="acc,none"] rect.hec-bar').count();
    check(bars === 4, `two runs side by side: 2 tasks x 2 runs = ${bars} bars`);
    check((await page.locator('#evals-charts .hec-err').count()) > 0, 'error bars are drawn');
    await page.screenshot({ path: join(shots, 'desktop-evaluations.png'), fullPage: true });
    check(await page.locator('.ev-jobs').isHidden(), 'a server that runs no evaluations shows no run form');
  } else {
    // Start a run from the page: two TruthfulQA questions on the served model. Its progress
    // shows until it finishes, then it joins the run list and is drawn.
    await page.waitForSelector('#ej-model option', { state: 'attached', timeout: wait });
    const before = await page.locator('#evals-list tr.ev-run').count();
    await page.fill('#ej-tasks', 'truthfulqa_mc1');
    await page.fill('#ej-limit', '2');
    await page.click('#ej-start');
    await page.waitForSelector('#evals-jobs li.ej-job', { timeout: wait });
    check(/truthfulqa_mc1 on \S+ \(limit 2\)/.test(await page.textContent('#evals-jobs li.ej-job .ej-what')), 'the started run is listed with its tasks and model');
    await page.waitForSelector('#evals-jobs li.ej-finished', { timeout: wait });
    const grew = await page.waitForFunction((n) => document.querySelectorAll('#evals-list tr.ev-run').length === n + 1, before, { timeout: wait })
      .then(() => true, () => false);
    check(grew, 'the finished run joins the run list');
    // A whole run is cancelled from the page.
    await page.fill('#ej-tasks', 'truthfulqa_mc1');
    await page.fill('#ej-limit', '');
    await page.click('#ej-start');
    await page.waitForSelector('#evals-jobs li.ej-running button.ej-cancel', { timeout: wait });
    await page.click('#evals-jobs li.ej-running button.ej-cancel');
    await page.waitForSelector('#evals-jobs li.ej-cancelled', { timeout: wait });
    check((await page.textContent('#evals-jobs li.ej-cancelled .ej-status')) === 'cancelled', 'a run is cancelled from the page');
    await page.screenshot({ path: join(shots, 'desktop-evaluations-run.png'), fullPage: true });
  }
  await page.click('#evals .ev-close');
  const closed = await page.waitForFunction(() => !document.querySelector('#evals').open && location.hash === '', null, { timeout: wait })
    .then(() => true, () => false);
  check(closed, 'evaluations page closes and leaves #evaluations');
  check(pageErrors.length === 0, `no uncaught page errors ${pageErrors.join('; ')}`);

  // ---- phone width ------------------------------------------------------------------------------
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 375, height: 740 });
  await phone.goto(base + '/');
  await phone.waitForSelector('#model option', { state: 'attached', timeout: wait });
  check(await phone.isVisible('#menu'), 'menu button shown at 375px');
  check((await phone.locator('#sidebar').boundingBox()).x < 0, 'sidebar is a hidden drawer at 375px');
  await send(phone, fakeMode ? 'hello from a phone' : 'Say hi in five words.');
  await replying(phone);
  await idle(phone);
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 375, `no horizontal page scroll at 375px (scrollWidth ${width})`);
  await phone.screenshot({ path: join(shots, 'phone-chat.png') });
  await phone.click('#menu');
  await phone.waitForTimeout(300); // drawer slide-in
  check((await phone.locator('#sidebar').boundingBox()).x >= 0, 'drawer opens from the menu button');
  await phone.screenshot({ path: join(shots, 'phone-drawer.png') });
  await phone.click('#conversations li:nth-child(2) .conv');
  check(!(await phone.locator('#sidebar').evaluate((el) => el.classList.contains('open'))), 'picking a conversation closes the drawer');
  if (fakeMode) {
    await phone.click('#menu');
    await phone.waitForTimeout(300);
    await phone.click('#memory-open');
    await phone.waitForSelector('#memory-list .mem', { timeout: wait });
    const box = await phone.locator('#memory').boundingBox();
    const pw = await phone.evaluate(() => document.documentElement.scrollWidth);
    check(box.x >= 0 && box.x + box.width <= 375 && pw <= 375, `memory panel fits at 375px (${Math.round(box.x)}+${Math.round(box.width)}, scrollWidth ${pw})`);
    await phone.screenshot({ path: join(shots, 'phone-memory.png') });
    await phone.click('#memory .mem-close');
    await phone.goto(base + '/#evaluations');
    await phone.waitForSelector('#evals-charts svg.hec-svg', { timeout: wait });
    const ebox = await phone.locator('#evals').boundingBox();
    const ew = await phone.evaluate(() => document.documentElement.scrollWidth);
    check(ebox.x >= 0 && ebox.x + ebox.width <= 375 && ew <= 375, `evaluations page opens from its URL and fits at 375px (scrollWidth ${ew})`);
    await phone.screenshot({ path: join(shots, 'phone-evaluations.png') });
  }

  check(external.length === 0, `no requests leave the server ${external.join(' ')}`);
} catch (e) {
  failures++;
  console.log(`FAIL ${e.stack ?? e}`);
} finally {
  await context.close();
  await fake?.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
