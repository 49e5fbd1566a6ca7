#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]
# Run every fuzz target (or the TARGETs named) for SECONDS each (default 60): the manifest/marker
# parser, the rewrite, the semver range parser and the lock reader. Needs cargo-fuzz (installed when missing); stable
# Rust is driven as nightly with RUSTC_BOOTSTRAP=1. Crashes land in fuzz/artifacts/<target>/;
# turn each into a regression fixture under testdata/fuzz/<target>/ (run by `cargo test`).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
targets=("${@:2}")
[ "${#targets[@]}" -gt 0 ] || targets=(manifest rewrite range lock)
crashed=()
mkdir -p logs
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  if [ -d "../testdata/fuzz/$target" ]; then cp -n ../testdata/fuzz/$target/* "corpus/$target/" 2>/dev/null || true; fi
  echo "==> $target for ${seconds}s (log: fuzz/logs/$target.log)"
  if cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=4096 >"logs/$target.log" 2>&1; then
    grep -E '^Done [0-9]+ runs' "logs/$target.log" || tail -n 2 "logs/$target.log"
  else
    crashed+=("$target")
    grep -E -A3 "panicked at|^SUMMARY|Test unit written to" "logs/$target.log" | head -n 20
  fi
done
if [ "${#crashed[@]}" -gt 0 ]; then
  echo "crashed: ${crashed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
