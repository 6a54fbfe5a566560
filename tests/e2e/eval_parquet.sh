#!/usr/bin/env bash
# Parquet datasets end to end: a Parquet file written by hyparquet-writer (a list column, a
# 64-bit integer past 2^53, nulls, a Unicode string, Snappy and gzip pages) is converted by
# scripts/parquet-to-jsonl.mjs, a task names the .jsonl through dataset_kwargs.data_files, and
# `hearth eval run` scores it on stories260K; naming the .parquet itself is refused with the
# converter's name; the converter's bad usage and unreadable files ($1 = hearth).
set -u
bin="$1"
src="${HEARTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
source "$(dirname "$0")/../support/e2e_shared.sh"
require_shared models/stories260K.gguf
if ! command -v node >/dev/null || [ ! -d "$src/node_modules/hyparquet" ] || [ ! -d "$src/node_modules/hyparquet-writer" ]; then
  if [ "${CI:-}" = "true" ]; then echo "node or node_modules missing (run npm ci)" >&2; exit 1; fi
  echo "skipping: node_modules missing (run npm ci)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HEARTH_HOME="$tmp/home"
fail() { echo "FAIL: $*"; exit 1; }
conv="$src/scripts/parquet-to-jsonl.mjs"

# Two files: the few-shot split (Snappy, the default) and the test split (gzip).
(cd "$src" && node --input-type=module - "$tmp" <<'JS') || fail "writing the Parquet files"
import { parquetWriteFile } from 'hyparquet-writer';
import { gzipSync } from 'node:zlib';
const dir = process.argv[2];
const cols = (rows) => [
  { name: 'question', data: rows.map((r) => r[0]), type: 'STRING' },
  { name: 'choices', data: rows.map((r) => r[1]) },
  { name: 'label', data: rows.map((r) => r[2]), type: 'INT32' },
  { name: 'id', data: rows.map((r) => r[3]), type: 'INT64' },
  { name: 'note', data: rows.map((r) => r[4]), type: 'STRING' },
];
await parquetWriteFile({ filename: `${dir}/train.parquet`, columnData: cols([
  ['Which one is a colour?', ['red', 'dog'], 0, 1n, null],
]) });
await parquetWriteFile({ filename: `${dir}/test.parquet`, codec: 'GZIP', compressors: { GZIP: (b) => new Uint8Array(gzipSync(b)) }, columnData: cols([
  ['Where do fish live?', ['water', 'trees', 'sky'], 0, 9007199254740993n, 'größer ✓'],
  ['What does a cat say?', ['woof', 'meow'], 1, -5n, null],
]) });
JS

node "$conv" "$tmp/train.parquet" 2>"$tmp/c1" || { cat "$tmp/c1"; fail "convert train"; }
grep -q "train.parquet: 1 rows -> $tmp/train.jsonl" "$tmp/c1" || { cat "$tmp/c1"; fail "converter summary"; }
node "$conv" "$tmp/test.parquet" -o "$tmp/test.jsonl" 2>/dev/null || fail "convert test with -o"
node "$conv" "$tmp/test.parquet" -o - 2>/dev/null >"$tmp/stdout.jsonl" || fail "convert to stdout"
cmp -s "$tmp/test.jsonl" "$tmp/stdout.jsonl" || fail "-o - differs from -o FILE"
python3 - "$tmp/train.jsonl" "$tmp/test.jsonl" <<'PY' || fail "converted rows"
import json, sys
train = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
test = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert train == [{"question": "Which one is a colour?", "choices": ["red", "dog"], "label": 0, "id": 1, "note": None}], train
assert test[0] == {"question": "Where do fish live?", "choices": ["water", "trees", "sky"], "label": 0,
                   "id": "9007199254740993", "note": "größer ✓"}, test[0]
assert test[1]["id"] == -5 and test[1]["choices"] == ["woof", "meow"] and test[1]["note"] is None, test[1]
PY

cat >"$tmp/pq.yaml" <<'YAML'
task: pq
dataset_path: json
dataset_kwargs:
  data_files:
    train: train.jsonl
    test: test.jsonl
training_split: train
test_split: test
num_fewshot: 1
output_type: multiple_choice
doc_to_text: "Question: {{question}}\nAnswer:"
doc_to_choice: "{{choices}}"
doc_to_target: label
YAML
"$bin" eval run --task "$tmp/pq.yaml" --model "local:$shared/models/stories260K.gguf" --no-cache --log-samples --json \
  >"$tmp/run.json" 2>"$tmp/run.err" || { cat "$tmp/run.err"; fail "eval run on the converted files"; }
python3 - "$tmp/run.json" <<'PY' || fail "run results"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["n-samples"]["pq"]["effective"] == 2, r["n-samples"]
assert 0 <= r["results"]["pq"]["acc,none"] <= 1, r["results"]
PY

# The .parquet named directly: refused, naming the converter.
sed 's/\.jsonl/.parquet/' "$tmp/pq.yaml" >"$tmp/pq2.yaml"
"$bin" eval run --task "$tmp/pq2.yaml" --model "local:$shared/models/stories260K.gguf" --no-cache >"$tmp/e1" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "Parquet files are not read directly; convert it with \`node scripts/parquet-to-jsonl.mjs" "$tmp/e1" \
  || { cat "$tmp/e1"; fail "a .parquet data file: rc=$rc"; }

# The converter's own errors: usage is 2, an unreadable file 1 with its name.
node "$conv" >/dev/null 2>"$tmp/u"; rc=$?
[ $rc -eq 2 ] && grep -q "no input file" "$tmp/u" || fail "no input: rc=$rc"
node "$conv" a.parquet b.parquet -o x.jsonl >/dev/null 2>&1; [ $? -eq 2 ] || fail "-o with two inputs"
echo "not parquet" >"$tmp/bad.parquet"
node "$conv" "$tmp/bad.parquet" -o "$tmp/bad.jsonl" >/dev/null 2>"$tmp/b"; rc=$?
[ $rc -eq 1 ] && grep -q "bad.parquet: not a readable Parquet file" "$tmp/b" || { cat "$tmp/b"; fail "bad file: rc=$rc"; }
node "$conv" "$tmp/missing.parquet" >/dev/null 2>"$tmp/m"; rc=$?
[ $rc -eq 1 ] && grep -q "missing.parquet: no such file" "$tmp/m" || { cat "$tmp/m"; fail "missing file: rc=$rc"; }
echo "eval_parquet: ok"
