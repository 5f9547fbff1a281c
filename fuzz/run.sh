#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on stable Rust (no sanitizer).
# Usage: fuzz/run.sh [SECONDS per target, default 30]
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`, about 1 minute on 2 cores).
set -euo pipefail
SECONDS_PER_TARGET="${1:-30}"
# New inputs go to a scratch corpus; the seeds in corpus/<target> are only read.
WORK="${FUZZ_WORK:-${TMPDIR:-/tmp}/leasehold-fuzz}"
cd "$(dirname "$0")"
TARGET_DIR_ARGS=()
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    TARGET_DIR_ARGS=(--target-dir "$CARGO_TARGET_DIR")
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi
for target in $(cargo +stable fuzz list); do
    mkdir -p "corpus/$target" "$WORK/$target"
    echo "== fuzzing $target for ${SECONDS_PER_TARGET}s" >&2
    cargo +stable fuzz run "$target" --sanitizer none "${TARGET_DIR_ARGS[@]}" \
        "$WORK/$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=1500
done
