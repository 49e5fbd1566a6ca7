#!/usr/bin/env bash
# `check` and `fix` at 10,000 and 100,000 files, side by side, against the floor (ripgrep): the
# same tree (gen_corpus monorepo-10k / monorepo-100k) in sync with its lock, the steady state of a
# CI gate, and the 100,000-file tree with some 6,000 files out of date for `fix`. Prints median
# wall and CPU time, the ratio to rg, the cost per file and the peak RSS. IMAGELOCK_BASE_BIN set
# to another build adds it to the same interleaved runs (before/after figures).
#
#   bash bench/scale.sh                        # RUNS=9
#   IMAGELOCK_BASE_BIN=/tmp/old/imagelock RUNS=15 bash bench/scale.sh
#
# The trees (about 0.5 GB for 100,000 files) go under target/bench/scale/, generated, not
# committed. It measures; it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench/scale
if ! command -v rg >/dev/null; then
    apt-get install -y ripgrep >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y ripgrep >/dev/null; }
fi
cargo build --release --bin imagelock --example gen_corpus >&2
mkdir -p "$out"
corpus() { # KIND DIR STALE_PERCENT: generated once per generator source, committed as a monorepo is
    local stamp="$2.stamp" want
    # Generated again when what writes it changes: the generator and the library parts it
    # uses (images and the lock), not on every change to the library.
    want="$(cat examples/gen_corpus.rs $(find src/image src/lock -name '*.rs' | sort) |
        sha256sum | cut -c1-16) $3"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        target/release/examples/gen_corpus "$1" "$2" --stale-percent "$3" >&2
        git -C "$2" init --quiet --initial-branch=main
        # No background repack while the benchmark copies or reads the repository.
        git -C "$2" config gc.auto 0
        git -C "$2" add --all
        git -C "$2" -c user.name=bench -c user.email=bench@example.invalid -c commit.gpgsign=false \
            commit --quiet --no-verify --message corpus
        echo "$want" >"$stamp"
    fi
}
corpus monorepo-10k "$out/monorepo-10k" 0
corpus monorepo-100k "$out/monorepo-100k" 0
# 75% of the markers stale leaves about 6,000 of the 8,000 marked files to rewrite.
corpus monorepo-100k "$out/monorepo-100k-stale" 75
python3 bench/scale.py "$PWD/target/release/imagelock" "${IMAGELOCK_BASE_BIN:-}" "$out"
