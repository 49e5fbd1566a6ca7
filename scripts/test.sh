#!/usr/bin/env bash
# Every test imagelock has: formatting, lints, unit, property and integration tests.
# Installs what the tests need when it is missing, so a fresh clone on a machine with only the
# Rust toolchain and Debian's packages passes.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step with the seconds since the start, to see where a run's time goes.
step() { printf '\n==> %s (at %ds)\n' "$*" "$SECONDS"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "pre-commit (for the hook tests), into target/precommit-venv when missing"
# tests/cli/precommit.rs runs the hooks under the real framework; it finds pre-commit through
# IMAGELOCK_PRE_COMMIT. Debian's python3 may lack `venv` (python3-venv): then virtualenv,
# installed from PyPI into target/, makes the environment.
if [ -z "${IMAGELOCK_PRE_COMMIT:-}" ]; then
    venv=target/precommit-venv
    if ! [ -x "$venv/bin/pre-commit" ]; then
        rm -rf "$venv"
        mkdir -p target
        if ! python3 -m venv "$venv" 2>/dev/null; then
            rm -rf "$venv" target/precommit-virtualenv
            PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
                --target target/precommit-virtualenv virtualenv
            PYTHONPATH=target/precommit-virtualenv python3 -m virtualenv --quiet "$venv"
        fi
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pre-commit
    fi
    IMAGELOCK_PRE_COMMIT="$PWD/$venv/bin/pre-commit"
    export IMAGELOCK_PRE_COMMIT
fi
"$IMAGELOCK_PRE_COMMIT" --version

step "registry test tools (docker-registry, htpasswd, openssl), installed when missing"
# tests/cli/registry starts Debian's docker-registry (distribution 2.8) on 127.0.0.1, with
# htpasswd (bcrypt, from apache2-utils) and token auth (JWTs signed with the openssl CLI).
missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v openssl >/dev/null || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

step "cargo test"
# Every test target (the crate has no doctests, so no `cargo test --doc`); all of them run even
# when one fails, and the last line counts the tests of every target: `N passed, N failed`.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --all-targets --no-fail-fast 2>&1 | tee "$log" || status=$?
summary=$(awk '/^test result:/ {
    for (i = 2; i <= NF; i++) {
        if ($i ~ /^passed;?$/) passed += $(i - 1)
        if ($i ~ /^failed;?$/) failed += $(i - 1)
    }
} END { printf "%d passed, %d failed", passed, failed }' "$log")
case "$summary" in
    "0 passed, "*) [ "$status" -ne 0 ] || status=1 ;; # no test ran: a broken build or filter
    *", 0 failed") ;;
    *) [ "$status" -ne 0 ] || status=1 ;;
esac
step "done"
printf '%s\n' "$summary"
exit "$status"
