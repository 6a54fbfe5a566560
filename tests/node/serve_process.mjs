// Starts `hearth serve` for a Node test and waits until /health says the model is ready.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Returns { base, srv, stop }; `args` follow `serve`. HEARTH_HOME is a fresh temporary folder.
// HEARTH_TEST_SERVE_ARGS (space-separated) is appended: tests/e2e/serve_gpu.sh reruns the
// server suites with `-ngl all` that way.
export async function startServe(bin, args, homePrefix = 'hearth-node-') {
  const extra = (process.env.HEARTH_TEST_SERVE_ARGS || '').split(' ').filter((a) => a !== '');
  args = [...args, ...extra];
  const home = mkdtempSync(join(tmpdir(), homePrefix));
  const srv = spawn(bin, ['serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HEARTH_HOME: home } });
  let log = '';
  const base = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 60000);
    const onData = (d) => {
      log += d;
      const m = log.match(/serving \S+ at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) { clearTimeout(t); resolve(m[1]); }
    };
    srv.stdout.on('data', onData);
    srv.stderr.on('data', onData);
    srv.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log}`)));
  });
  // Ready means /health says ok (the model loads after the port opens).
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${base}/health`).catch(() => null);
    if (r && r.status === 200) break;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  const stop = async () => {
    srv.kill('SIGTERM');
    await new Promise((r) => srv.on('exit', r));
  };
  return { base, srv, home, stop, log: () => log };
}
