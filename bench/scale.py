#!/usr/bin/env python3
"""The table of `bench/scale.sh`: each command runs once to warm the caches, then RUNS times,
all commands of a corpus in turn (interleaved), so that a busy moment hits them alike.

usage: scale.py IMAGELOCK BASE_IMAGELOCK_OR_EMPTY OUT_DIR
"""

import os
import shutil
import statistics
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import changes, fmt_time, print_table, run_once, work_copy  # noqa: E402

RUNS = int(os.environ.get("RUNS", "9"))


def files_in(corpus):
    out = subprocess.run(["git", "-C", corpus, "ls-files"], check=True, capture_output=True)
    return out.stdout.count(b"\n")


def interleaved(commands, cwd, reset=None):
    """{label: (median wall, median cpu, peak rss)} over RUNS rounds after a warm-up round."""
    samples = {label: [] for label, _ in commands}
    for i in range(RUNS + 1):
        for label, argv in commands:
            if reset:
                reset()
            wall, cpu, rss, code = run_once(argv, cwd)
            if code not in (0, 1):
                sys.exit(f"scale: {' '.join(argv)} exited {code} in {cwd}")
            if i:
                samples[label].append((wall, cpu, rss))
    return {
        label: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v),
                max(s[2] for s in v))
        for label, v in samples.items()
    }


def main():
    new, base, out = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    rg = shutil.which("rg")
    builds = [("", new)] + ([(" (before)", os.path.abspath(base))] if base else [])
    rows = []
    for name in ["monorepo-10k", "monorepo-100k"]:
        corpus = os.path.abspath(os.path.join(out, name))
        files = files_in(corpus)
        commands = [("rg", [rg, "-l", r"\$imagepolicy"])]
        commands += [(f"check{tag}", [b, "check"]) for tag, b in builds]
        result = interleaved(commands, corpus)
        rows += [(name, label, files, *r, result["rg"][0]) for label, r in result.items()]
    stale = os.path.abspath(os.path.join(out, "monorepo-100k-stale"))
    work, reset = work_copy(stale)

    commands = [("rg", [rg, "-l", r"\$imagepolicy"])]
    commands += [(f"fix{tag}", [b, "fix"]) for tag, b in builds]
    result = interleaved(commands, work, reset=reset)
    written = changes(stale, work)[2]
    rows += [(f"monorepo-100k, {written} files out of date", label, files_in(stale), *r,
              result["rg"][0]) for label, r in result.items()]
    shutil.rmtree(work)

    header = ("tree", "command", "median wall", "median CPU", "ratio", "per file", "peak RSS")
    print_table(header, [
        (name, label, fmt_time(wall), fmt_time(cpu), f"{wall / floor:5.2f}× rg",
         f"{wall / files * 1e6:6.1f} µs", f"{rss / 2**20:6.1f} MB")
        for name, label, files, wall, cpu, rss, floor in rows
    ])


if __name__ == "__main__":
    main()
