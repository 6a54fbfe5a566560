#!/usr/bin/env python3
"""Prints the side-by-side table of bench/speed/run.sh --anchor: for every type and test, hearth's
and each anchor's best / median tokens/s over the interleaved rounds, and hearth's best divided
by each anchor's best. Usage: side_by_side.py RESULTS_DIR ROUNDS "NAME..." TYPE...

Inputs: RESULTS_DIR/TYPE.hearth.ROUND.json (`hearth bench -o json`) and
RESULTS_DIR/TYPE.NAME.ROUND.json (`llama-bench -o json`: a list of tests)."""
import json, os, statistics, sys


def hearth_tests(path):
    d = json.load(open(path))
    return {t["test"]: t["avg_ts"] for t in d["tests"]}, d


def anchor_tests(path):
    out = {}
    for t in json.load(open(path)):
        name = f"pp{t['n_prompt']}" if t.get("n_gen", 0) == 0 else f"tg{t['n_gen']}"
        out[name] = t["avg_ts"]
    return out


def main():
    results, rounds, names, types = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
    head = ["type", "test", "hearth best / median"]
    for n in names:
        head += [f"{n} best / median", f"hearth ÷ {n}"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * 2 + "---:|" * (len(head) - 2))
    info = None
    for ty in types:
        runs = {"hearth": []}
        for r in range(1, rounds + 1):
            tests, d = hearth_tests(os.path.join(results, f"{ty}.hearth.{r}.json"))
            info = info or d
            runs["hearth"].append(tests)
            for n in names:
                runs.setdefault(n, []).append(anchor_tests(os.path.join(results, f"{ty}.{n}.{r}.json")))
        for test in runs["hearth"][0]:
            def stats(engine):
                v = [r[test] for r in runs[engine] if test in r]
                return (max(v), statistics.median(v)) if v else None
            h = stats("hearth")
            row = [ty.upper(), test, f"{h[0]:.1f} / {h[1]:.1f}"]
            for n in names:
                a = stats(n)
                row += [f"{a[0]:.1f} / {a[1]:.1f}", f"{h[0] / a[0]:.2f}"] if a else ["–", "–"]
            print("| " + " | ".join(row) + " |")
    if info:
        print(f"\nthreads {info['threads']}, hearth isa {info['isa']}, commit {info['commit']}; "
              f"{rounds} interleaved rounds, one repetition of each engine per round.")


main()
