#!/usr/bin/env bash
# `check` and `fix` against the floor (ripgrep) and the peer (a ruamel.yaml round-trip script),
# on two generated corpora. Prints one table; see docs/performance.md for what it measures.
#
#   bench/check.sh              # RUNS=15 runs per command, PEER_RUNS=3 for the ruamel.yaml script
#   RUNS=5 PEER_RUNS=1 bench/check.sh
#
# Installs what it needs when missing: ripgrep (apt-get), ruamel.yaml (a venv under target/).
# Everything it writes goes under target/bench/. It measures; it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }
out=target/bench

if ! command -v rg >/dev/null; then
    step "installing ripgrep"
    apt-get install -y ripgrep >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y ripgrep >/dev/null; }
fi

step "cargo build --release (imagelock, gen_corpus)"
cargo build --release --bin imagelock --example gen_corpus >&2

mkdir -p "$out"
if [ ! -x "$out/venv/bin/python" ] || ! "$out/venv/bin/python" -c 'import ruamel.yaml' 2>/dev/null; then
    step "ruamel.yaml into $out/venv"
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install --quiet 'ruamel.yaml>=0.18'
fi

for corpus in monorepo-10k dense-2k; do
    step "generating $corpus"
    target/release/examples/gen_corpus "$corpus" "$out/$corpus" >&2
    # The corpus is its own git repository, as a monorepo is: every file tracked and committed.
    git -C "$out/$corpus" init --quiet --initial-branch=main
    git -C "$out/$corpus" add --all
    git -C "$out/$corpus" -c user.name=bench -c user.email=bench@example.invalid \
        -c commit.gpgsign=false commit --quiet --no-verify --message corpus
done

step "measuring (RUNS=${RUNS:-15}, PEER_RUNS=${PEER_RUNS:-3}; $(nproc) cores, $(rg --version | head -1))"
python3 bench/measure.py target/release/imagelock "$out/venv/bin/python" \
    "$out/monorepo-10k" "$out/dense-2k"
