#!/usr/bin/env python3
"""Prints the markdown table of bench/speed/run.sh: hearth's `hearth bench -o json` results
beside the reference figures. Usage: table.py REFERENCE.tsv RESULTS_DIR TYPE..."""
import json, os, sys
ref = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    ty, test, lb, lm, ib, im = line.split()
    ref[(ty, test)] = tuple(map(float, (lb, lm, ib, im)))
results, types = sys.argv[2], sys.argv[3:]
print("| type | size GB | test | hearth t/s | llama.cpp best / median | hearth ÷ llama.cpp best "
      "| ik_llama.cpp best / median | hearth ÷ ik best | weights GB/s | peak RSS ÷ (file + KV) |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
first = None
for ty in types:
    d = json.load(open(os.path.join(results, ty + ".json")))
    first = first or d
    for t in d["tests"]:
        r = ref.get((ty, t["test"]))  # only the same test (pp512, tg128) is comparable
        cmp = (f"{r[0]:.1f} / {r[1]:.1f} | {t['avg_ts'] / r[0]:.2f} | {r[2]:.1f} / {r[3]:.1f} | {t['avg_ts'] / r[2]:.2f}"
               if r else "– | – | – | –")
        gbps = f"{t['weight_gb_per_s']:.1f}" if "weight_gb_per_s" in t else ""
        # The memory bound: peak RSS <= file + KV cache + 10%, i.e. this column <= 1.10.
        rss = d["peak_rss_bytes"] / (d["size"] + d["kv_bytes"])
        print(f"| {ty.upper()} | {d['size'] / 1e9:.2f} | {t['test']} | {t['avg_ts']:.2f} ± {t['stddev_ts']:.2f} "
              f"| {cmp} | {gbps} | {rss:.2f} |")
if first:
    print(f"\nthreads {first['threads']}, isa {first['isa']}, commit {first['commit']}; "
          f"GB/s = tg t/s × weight bytes per token (every weight read once per token).")
