#!/usr/bin/env bash
# `check` with the cluster builds, against the floor (ripgrep), on monorepo-10k (2,000
# kustomizations, no Flux Kustomization: one assumed cluster) and clusters-20 (20 Flux clusters
# built from one base with overlays, patches and substitution). With IMAGELOCK_BASE_BIN set to
# another build, it runs in the same interleaved loop (before/after figures).
#
#   bash bench/clusters.sh                                  # RUNS=21
#   IMAGELOCK_BASE_BIN=/tmp/old/imagelock RUNS=31 bash bench/clusters.sh
#
# Everything it writes goes under target/bench/. It measures; it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
if ! command -v rg >/dev/null; then
    apt-get install -y ripgrep >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y ripgrep >/dev/null; }
fi
cargo build --release --bin imagelock --example gen_corpus --example gen_clusters >&2
mkdir -p "$out"
commit() {
    git -C "$1" init --quiet --initial-branch=main
    git -C "$1" add --all
    git -C "$1" -c user.name=bench -c user.email=bench@example.invalid -c commit.gpgsign=false \
        commit --quiet --no-verify --message corpus
}
target/release/examples/gen_corpus monorepo-10k "$out/monorepo-10k" >&2 && commit "$out/monorepo-10k"
target/release/examples/gen_clusters "$out/clusters-20" >&2 && commit "$out/clusters-20"
python3 - "$PWD/target/release/imagelock" "${IMAGELOCK_BASE_BIN:-}" "$out/monorepo-10k" "$out/clusters-20" <<'PY'
import os, statistics, sys, time
RUNS = int(os.environ.get("RUNS", "21"))
new, base, corpora = sys.argv[1], sys.argv[2], sys.argv[3:]
def run(argv, cwd):
    null = os.open(os.devnull, os.O_WRONLY); t = time.perf_counter(); pid = os.fork()
    if pid == 0:
        os.chdir(cwd); os.dup2(null, 1); os.dup2(null, 2); os.execv(argv[0], argv)
    _, _, usage = os.wait4(pid, 0); os.close(null)
    return time.perf_counter() - t, usage.ru_maxrss / 1024
commands = [("rg", ["/usr/bin/env", "rg", "-l", r"\$imagepolicy", "."])]
if base:
    commands.append(("check, before", [os.path.abspath(base), "check"]))
commands.append(("check", [new, "check"]))
print(f"{'corpus':14s}{'command':16s}{'median wall':>12s}{'ratio':>10s}{'peak RSS':>10s}")
for corpus in corpora:
    times = {n: [] for n, _ in commands}; rss = {n: 0.0 for n, _ in commands}
    for n, argv in commands:
        run(argv, corpus)
    for _ in range(RUNS):
        for n, argv in commands:
            wall, peak = run(argv, corpus); times[n].append(wall); rss[n] = max(rss[n], peak)
    floor = statistics.median(times["rg"])
    for n, _ in commands:
        m = statistics.median(times[n])
        print(f"{os.path.basename(corpus):14s}{n:16s}{m * 1000:9.1f} ms{m / floor:8.2f}×{rss[n]:7.1f} MB")
PY
