#!/usr/bin/env python3
"""Times the commands of `bench/check.sh` and prints the table.

Each command runs once to warm the caches, then RUNS times (PEER_RUNS for the ruamel.yaml
script); the table shows the median wall time, the median CPU time (user + system, all threads),
and the largest peak RSS of any run, each read from the process's own rusage (`os.wait4`).
Commands that rewrite files run on a copy that is reset with `git checkout` before each run,
outside the timing.

usage: measure.py IMAGELOCK PYTHON CORPUS...   (each CORPUS a directory made by gen_corpus)
"""

import difflib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("RUNS", "15"))
PEER_RUNS = int(os.environ.get("PEER_RUNS", "3"))
HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = re.compile(r'#+\s*\{.*"\$imagepolicy".*\}\s*$')


def run_once(argv, cwd):
    """(wall seconds, cpu seconds, peak RSS bytes, exit status) of one run."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, code


def measure(argv, cwd, runs, reset=None, ok=(0, 1), warmup=True):
    """Median wall and CPU time and largest peak RSS of `runs` runs (after one warm-up run).
    With `reset`, the tree is reset before each run and holds the last run's output after."""
    walls, cpus, rss = [], [], 0
    for i in range(runs + int(warmup)):
        if reset:
            reset()
        wall, cpu, peak, code = run_once(argv, cwd)
        if code not in ok:
            sys.exit(f"measure: {' '.join(argv)} exited {code} in {cwd}")
        if warmup and i == 0:
            continue
        walls.append(wall)
        cpus.append(cpu)
        rss = max(rss, peak)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "rss": rss}


def git(cwd, *args):
    subprocess.run(["git", "-C", cwd, *args], check=True, stdout=subprocess.DEVNULL)


def marked_lines(text):
    """0-based lines holding a marked value: the marker's own line, or the item below a head
    comment."""
    out = set()
    for number, line in enumerate(text.splitlines()):
        if MARKER.search(line):
            out.add(number + 1 if line.lstrip().startswith("#") else number)
    return out


def changes(pristine, work):
    """(marked lines changed, other lines changed, files written) between two trees."""
    marked = other = files = 0
    for dirpath, dirnames, filenames in os.walk(pristine):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            a_path = os.path.join(dirpath, name)
            b_path = os.path.join(work, os.path.relpath(a_path, pristine))
            with open(a_path, "rb") as f:
                a = f.read()
            with open(b_path, "rb") as f:
                b = f.read()
            if a == b:
                continue
            files += 1
            a_text, b_text = a.decode(), b.decode()
            keep = marked_lines(a_text)
            a_lines, b_lines = a_text.splitlines(True), b_text.splitlines(True)
            ops = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False).get_opcodes()
            for tag, i1, i2, j1, j2 in ops:
                if tag == "equal":
                    continue
                for i in range(i1, i2):
                    if i in keep:
                        marked += 1
                    else:
                        other += 1
                other += max(0, (j2 - j1) - (i2 - i1))
    return marked, other, files


def pick_paths(corpus, count=5):
    """Five files as pre-commit passes them: three with markers, two without."""
    marked, plain = [], []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            if not name.endswith(".yaml"):
                continue
            path = os.path.relpath(os.path.join(dirpath, name), corpus)
            with open(os.path.join(corpus, path), encoding="utf-8") as f:
                (marked if "$imagepolicy" in f.read() else plain).append(path)
    step_m, step_p = max(1, len(marked) // 3), max(1, len(plain) // 2)
    return marked[::step_m][:3] + plain[::step_p][: count - 3]


def work_copy(corpus):
    """A copy of `corpus` beside it for commands that rewrite files, and the function that
    resets it before each run."""
    work = corpus + ".work"
    if os.path.exists(work):
        shutil.rmtree(work)
    shutil.copytree(corpus, work, symlinks=True)

    def reset():
        # Restore the out-of-date files, then flush them: the timed run should not pay for the
        # writeback of the reset.
        git(work, "checkout", "-q", "--", ".")
        os.sync()

    return work, reset


def print_table(header, rows, group_breaks=False):
    """Columns padded to their widest cell, a rule under the header; with `group_breaks`, a
    blank line where the first column changes."""
    widths = [max(len(str(r[i])) for r in list(rows) + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    print(line(header))
    print(line(tuple("-" * w for w in widths)))
    previous = None
    for r in rows:
        if group_breaks and previous and previous != r[0]:
            print()
        print(line(r))
        previous = r[0]


def fmt_time(seconds):
    return f"{seconds * 1000:8.1f} ms" if seconds < 10 else f"{seconds:8.2f} s "


def main():
    imagelock, python = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rg = shutil.which("rg")
    rows = []
    summary = {}
    for corpus in sys.argv[3:]:
        corpus = os.path.abspath(corpus)
        name = os.path.basename(corpus)
        targets = corpus + ".targets.json"
        work, reset = work_copy(corpus)

        paths = pick_paths(corpus)
        results = {}
        results["rg"] = measure([rg, "-l", r"\$imagepolicy"], corpus, RUNS)
        results["check"] = measure([imagelock, "check"], corpus, RUNS)
        results["check 5 paths"] = measure([imagelock, "check", *paths], corpus, RUNS)
        results["fix --diff"] = measure([imagelock, "fix", "--diff"], corpus, RUNS)
        results["fix"] = measure([imagelock, "fix"], work, RUNS, reset=reset, ok=(0,))
        il_changes = changes(corpus, work)
        _, _, _, again = run_once([imagelock, "check"], work)
        # The peer takes a minute a run: no warm-up run (the caches are warm by now).
        results["ruamel.yaml"] = measure(
            [python, os.path.join(HERE, "ruamel_fix.py"), ".", targets], work, PEER_RUNS,
            reset=reset, ok=(0,), warmup=False)
        peer_changes = changes(corpus, work)
        floor = results["rg"]["wall"]
        fix = results["fix"]["wall"]
        for label, r in results.items():
            ratio = f"{r['wall'] / floor:6.2f}× rg"
            if label == "ruamel.yaml":
                ratio = f"{r['wall'] / fix:6.0f}× fix"
            extra = ""
            if label == "fix":
                extra = f"{il_changes[0]:5} / {il_changes[1]}"
            if label == "ruamel.yaml":
                extra = f"{peer_changes[0]:5} / {peer_changes[1]}"
            rows.append((name, label, fmt_time(r["wall"]), fmt_time(r["cpu"]), ratio,
                         f"{r['rss'] / 2**20:6.1f} MB", extra))
        summary[name] = {
            "results": results,
            "imagelock_changes": il_changes,
            "ruamel_changes": peer_changes,
            "check_after_fix_exit": again,
        }
        shutil.rmtree(work)

    header = ("corpus", "command", "median wall", "median CPU", "ratio", "peak RSS",
              "marked / other lines changed")
    print_table(header, rows, group_breaks=True)
    print()
    for name, s in summary.items():
        r = s["results"]
        floor = r["rg"]["wall"]
        verdicts = []
        if name.startswith("monorepo"):
            verdicts += [
                ("check ≤ 3× rg", r["check"]["wall"] <= 3 * floor),
                ("check 5 paths ≤ 1.5× rg", r["check 5 paths"]["wall"] <= 1.5 * floor),
                ("fix ≤ 4× rg", r["fix"]["wall"] <= 4 * floor),
            ]
        if name.startswith("dense"):
            verdicts += [
                ("≥ 100× faster than ruamel.yaml", r["ruamel.yaml"]["wall"] >= 100 * r["fix"]["wall"]),
                ("0 lines changed beyond marked values", s["imagelock_changes"][1] == 0),
            ]
        verdicts += [
            ("peak RSS < 100 MB", max(x["rss"] for k, x in r.items() if k != "ruamel.yaml") < 100 * 2**20),
            ("check exits 0 after fix", s["check_after_fix_exit"] == 0),
        ]
        print(f"{name}: " + "; ".join(f"{label} {'ok' if ok else 'MISSED'}" for label, ok in verdicts))
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
