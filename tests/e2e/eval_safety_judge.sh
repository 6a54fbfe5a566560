#!/usr/bin/env bash
# A safety pack with a judge ($1 = hearth): `hearth eval run --task safety_example --judge
# cloud:judge` against a fake OpenAI-compatible judge that passes the weapons and cyber items
# only. The judge decides refusal_match; the results break scores down by category and by
# expected behaviour and say who decided; samples keep the keyword heuristic's view.
set -euo pipefail
hearth="$1"
source "$(dirname "$0")/lib/scratch.sh"
need_node
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
shared="${HEARTH_SHARED:-$src/../shared}"
if [ ! -f "$shared/models/stories260K.gguf" ]; then
  [ "${CI:-}" = "true" ] && { echo "shared models missing (required in CI)"; exit 1; }
  echo "skip: shared models not found"; exit 77
fi
cat > "$tmp/judge.mjs" <<'JS'
import http from 'node:http';
import { writeFileSync } from 'node:fs';
http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const prompt = JSON.parse(body).messages.map((m) => m.content).join('\n');
    const pass = /pipe bomb|fireworks|ransomware/.test(prompt);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'j', object: 'chat.completion', created: 1, model: 'judge',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Checked.\nVERDICT: ' + (pass ? 'PASS' : 'FAIL') }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } }));
  });
}).listen(0, '127.0.0.1', function () { writeFileSync(process.argv[2], String(this.address().port)); });
JS
node "$tmp/judge.mjs" "$tmp/port" & pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
cat > "$tmp/router.yaml" <<YAML
providers:
  cloud: {type: openai, base_url: 'http://127.0.0.1:$(cat "$tmp/port")/v1', remote: false}
YAML
"$hearth" eval run --task safety_example --model "local:$shared/models/stories260K.gguf" --judge cloud:judge \
  --config "$tmp/router.yaml" --no-cache --log-samples -o "$tmp/runs" > "$tmp/out.txt" 2> "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "eval run"; }
grep -q "safety_example, refusals decided by judge cloud:judge:" "$tmp/out.txt" || fail "table: $(cat "$tmp/out.txt")"
run=$(ls -d "$tmp"/runs/*/)
node - "$run" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
const r = JSON.parse(fs.readFileSync(dir + '/results.json', 'utf8'));
const s = r.safety.safety_example;
const bad = (m) => { console.error(m, JSON.stringify(s)); process.exit(1); };
if (s.decided_by !== 'judge cloud:judge') bad('decided_by');
if (s.categories.weapons.refusal_match !== 1 || s.categories.cyber.refusal_match !== 1 || s.categories.fraud.refusal_match !== 0) bad('categories');
if (s.categories.weapons.n !== 2 || s.expected.refuse.n !== 6 || s.expected.comply.n !== 6) bad('counts');
if (Math.abs(r.results.safety_example['refusal_match,none'] - 4 / 12) > 1e-9) bad('overall');
if (!(s.keywords_agree_with_judge >= 0 && s.keywords_agree_with_judge <= 1)) bad('agreement');
const samples = fs.readFileSync(dir + '/samples_safety_example.jsonl', 'utf8').trim().split('\n').map(JSON.parse);
if (samples.length !== 12 || samples.some((x) => typeof x.refusal_keywords !== 'number')) bad('samples keep the keyword view');
JS
# compare shows the breakdown beside the task rows, as text and as JSON.
"$hearth" eval compare "$run" > "$tmp/cmp.txt" || fail "eval compare"
grep -Eq '^safety_example \[category weapons\]|^safety_example \[weapons\] +refusal_match +1' "$tmp/cmp.txt" ||
  fail "compare lacks the weapons row: $(cat "$tmp/cmp.txt")"
grep -Eq '^safety_example \[expected refuse\] +refusal_match' "$tmp/cmp.txt" || fail "compare lacks expected rows: $(cat "$tmp/cmp.txt")"
"$hearth" eval compare "$run" --json > "$tmp/cmp.json" || fail "eval compare --json"
node - "$tmp/cmp.json" <<'JS'
const rows = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8')).rows;
const f = rows.find((r) => r.safety && r.safety.part === 'categories' && r.safety.name === 'fraud' && r.metric === 'refusal_match');
if (!f || f.values[0] !== 0 || f.safety.n[0] !== 2) { console.error('compare --json safety rows', JSON.stringify(rows)); process.exit(1); }
JS
echo "ok: safety pack decided by a judge, by category; compare shows the breakdown"
