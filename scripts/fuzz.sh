#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60): the manifest/marker parser, the rewrite,
# the semver range parser and the lock reader. Needs cargo-fuzz (installed when missing); stable
# Rust is driven as nightly with RUSTC_BOOTSTRAP=1. Crashes land in fuzz/artifacts/<target>/;
# turn each into a regression fixture under testdata/fuzz/<target>/ (run by `cargo test`).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in manifest rewrite range lock; do
  mkdir -p "corpus/$target"
  if [ -d "../testdata/fuzz/$target" ]; then cp -n ../testdata/fuzz/$target/* "corpus/$target/" 2>/dev/null || true; fi
  echo "==> $target for ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=4096 2>&1 | tail -n 4
done
