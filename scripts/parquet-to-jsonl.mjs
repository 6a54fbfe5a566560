#!/usr/bin/env node
// Parquet -> JSON Lines, for evaluation datasets published as Parquet (most of Hugging Face's).
// hearth's task files read JSON, JSON Lines and CSV (`dataset_path: json` or `csv` with
// `dataset_kwargs.data_files`); no Debian package reads Parquet from C++, so this converter uses
// the npm library hyparquet (Snappy built in; gzip, zstd, brotli, LZ4 through
// hyparquet-compressors). Run `npm ci` in the repository first.
//
//   node scripts/parquet-to-jsonl.mjs IN.parquet [IN2.parquet ...] [-o OUT.jsonl]
//
// Without -o each IN.parquet becomes IN.jsonl beside it; with -o (one input only) the output goes
// there, or to stdout with `-o -`. One JSON object per row: strings, numbers, booleans, null,
// lists and structs as JSON; 64-bit integers beyond 2^53 as decimal strings; timestamps as ISO
// 8601; raw bytes as UTF-8 text. Exit status 0, 1 on a file that cannot be read, 2 on bad usage.
import { createWriteStream } from 'node:fs';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

function usage(message) {
  if (message) process.stderr.write(`parquet-to-jsonl: ${message}\n`);
  process.stderr.write('usage: node scripts/parquet-to-jsonl.mjs IN.parquet [IN2.parquet ...] [-o OUT.jsonl|-]\n');
  process.exit(2);
}

const utf8 = new TextDecoder('utf-8');

// A parquet value as JSON keeps it: no silent rounding of big integers.
function toJsonValue(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return utf8.decode(v);
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x);
    return out;
  }
  return v;
}

async function convert(input, output) {
  let file;
  try {
    file = await asyncBufferFromFile(input);
  } catch (e) {
    throw new Error(`${input}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  let rows;
  try {
    const metadata = await parquetMetadataAsync(file);
    rows = await parquetReadObjects({ file, metadata, compressors });
  } catch (e) {
    throw new Error(`${input}: not a readable Parquet file (${e.message})`);
  }
  const out = output === '-' ? process.stdout : createWriteStream(output);
  for (const row of rows) {
    if (!out.write(JSON.stringify(toJsonValue(row)) + '\n')) await new Promise((r) => out.once('drain', r));
  }
  if (out !== process.stdout) await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  process.stderr.write(`${input}: ${rows.length} rows -> ${output === '-' ? 'stdout' : output}\n`);
}

const args = process.argv.slice(2);
const inputs = [];
let output;
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '-h' || args[i] === '--help') usage();
  else if (args[i] === '-o' || args[i] === '--output') {
    if (i + 1 >= args.length) usage('-o needs a file name (or - for stdout)');
    output = args[++i];
  } else if (args[i].startsWith('-') && args[i] !== '-') usage(`unknown option ${args[i]}`);
  else inputs.push(args[i]);
}
if (inputs.length === 0) usage('no input file');
if (output !== undefined && inputs.length > 1) usage('-o takes one input file');
try {
  for (const input of inputs) await convert(input, output ?? input.replace(/\.parquet$/i, '') + '.jsonl');
} catch (e) {
  process.stderr.write(`parquet-to-jsonl: ${e.message}\n`);
  process.exit(1);
}
