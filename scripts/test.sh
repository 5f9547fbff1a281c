#!/usr/bin/env bash
# The whole Leasehold test suite. This is the README's test command and what CI runs.
#   sudo scripts/test.sh            everything (root is needed for the network-namespace tests)
# Steps: install missing test tools, format and lint checks, unit/property/engine/store tests,
# a bounded fuzz run, then end-to-end tests with real DHCP clients in network namespaces.
# A missing prerequisite fails the run; nothing is skipped silently.
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

echo "== end-to-end tests (network namespaces, 198.18.0.0/15)"
tests/e2e/run.sh
