#!/usr/bin/env bash
# The whole Leasehold test suite. This is the README's test command and what CI runs.
#   sudo scripts/test.sh            everything (root is needed for the network-namespace tests)
# Steps: install missing test tools, format and lint checks, unit/property/engine/store tests,
# a bounded fuzz run, then the script suites: end-to-end tests with real DHCP clients, relays and
# peers in network namespaces, attack tests, the dashboard in headless Chromium and schemathesis
# against the control API. A missing prerequisite fails the run; nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-30}"

if [ "$(id -u)" != 0 ]; then
  echo "scripts/test.sh: the end-to-end tests create network namespaces and need root: run it with sudo" >&2
  exit 1
fi

echo "== installing missing test tools"
scripts/install-test-deps.sh

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo build --workspace
cargo test --workspace

echo "== fuzz (${FUZZ_SECONDS}s per target)"
fuzz/run.sh "$FUZZ_SECONDS"

# Script suites: each prints "N passed, M failed" as its last line and exits non-zero on failure.
# All of them run even when one fails; the run fails at the end if any did.
total_pass=0
total_fail=0
failed_suites=()
run_suite() {
  local name=$1
  shift
  echo "== $name"
  local log
  log=$(mktemp)
  local status=0
  "$@" 2>&1 | tee "$log" || status=$?
  local counts
  counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
  rm -f "$log"
  if [ -z "$counts" ]; then
    echo "$name: no 'N passed, M failed' line" >&2
    status=1
  else
    total_pass=$((total_pass + $(echo "$counts" | cut -d' ' -f1)))
    total_fail=$((total_fail + $(echo "$counts" | cut -d' ' -f3)))
  fi
  if [ "$status" != 0 ]; then
    failed_suites+=("$name")
    [ -n "$counts" ] || total_fail=$((total_fail + 1))
  fi
}

run_suite "end-to-end: real clients" tests/e2e/run.sh
run_suite "end-to-end: relays and peers" tests/e2e/relay.sh
run_suite "attack tests" tests/attack/run.sh
run_suite "dashboard in headless Chromium" tests/dashboard/run.sh
run_suite "control API: schemathesis" tests/api/schemathesis.sh

if [ "${#failed_suites[@]}" != 0 ]; then
  echo "failed suites: ${failed_suites[*]}" >&2
fi
echo "scripts: ${total_pass} passed, ${total_fail} failed"
[ "${#failed_suites[@]}" = 0 ]
