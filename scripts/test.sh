#!/usr/bin/env bash
# The whole Leasehold test suite. This is the README's test command and what CI runs.
#   scripts/test.sh                 everything (root is needed for the network-namespace tests:
#                                   run from a root shell, or it re-runs itself with sudo)
# Steps: install missing test tools, format, lint and rustdoc checks, unit/property/engine/store
# tests, a bounded fuzz run, then the script suites: end-to-end tests with real DHCP clients,
# relays and peers in network namespaces, attack tests, several servers on PostgreSQL, network
# boot of real VMs (QEMU), the dashboard in headless Chromium and schemathesis against the
# control API. A missing prerequisite fails the run; nothing is skipped silently.
# Every step and suite reports its duration ("== cargo test: 312 s"), the run its total; the last
# line of a completed run is always "scripts: N passed, M failed" (CI parses it). Nothing here
# calls sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-30}"

# Root is needed (network namespaces, packages). A root shell runs it directly, without sudo
# (which a fresh machine may not have); anyone else goes through sudo when it is installed.
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "scripts/test.sh: needs root (network namespaces, test packages): running it with sudo" >&2
    exec sudo --preserve-env=PATH,CARGO_HOME,RUSTUP_HOME,CARGO_TARGET_DIR,FUZZ_SECONDS "$0" "$@"
  fi
  echo "scripts/test.sh: the end-to-end tests create network namespaces and need root: run it as root" >&2
  exit 1
fi

# step NAME COMMAND...: runs one step under a "== NAME" heading and reports how long it took
# ("== NAME: N s"). A failing step still reports its duration, then stops the run (set -e).
step() {
  local name=$1
  shift
  echo "== $name"
  local start=$SECONDS status=0
  "$@" || status=$?
  if [ "$status" = 0 ]; then
    echo "== $name: $((SECONDS - start)) s"
  else
    echo "== $name: $((SECONDS - start)) s (failed, exit $status)"
  fi
  return "$status"
}

cargo_doc() {
  RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
}

# pg_enable_tls DIR PORT: turns TLS on in the cluster of DIR: a throw-away CA (DIR/ca.crt, what
# the tests trust) signs a certificate for localhost and 127.0.0.1.
pg_enable_tls() {
  local dir=$1 data=$1/data
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=leasehold-test-ca \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
    -keyout "$data/server.key" -out "$dir/server.csr" 2>/dev/null || return 1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$data/server.crt" 2>/dev/null || return 1
  chmod 600 "$data/server.key"
  chmod 644 "$data/server.crt" "$dir/ca.crt"
  chown "$(stat -c %u:%g "$data")" "$data/server.key" "$data/server.crt"
  pg_psql "$dir" "$2" "ALTER SYSTEM SET ssl = 'on'" "SELECT pg_reload_conf()" >/dev/null
}

# The Rust tests of the PostgreSQL backend need a database: a throw-away cluster (tests/lib/pg.sh)
# on 127.0.0.1 and a socket in a temp dir, for the duration of `cargo test` only. Its URL goes to
# the tests as LEASEHOLD_TEST_PG_URL; each test works in a schema of its own.
cargo_test() {
  cargo build --workspace || return
  local pgdir status=0
  pgdir=$(mktemp -d /tmp/lh-cargo-pg.XXXXXX)
  chmod 711 "$pgdir"
  # shellcheck source=tests/lib/pg.sh
  source tests/lib/pg.sh
  local port
  port=$(pg_free_port 26432)
  pg_start "$pgdir/c" "$port" >/dev/null || { pg_cleanup "$pgdir/c"; rm -rf "$pgdir"; return 1; }
  pg_enable_tls "$pgdir/c" "$port" || { pg_cleanup "$pgdir/c"; rm -rf "$pgdir"; return 1; }
  LEASEHOLD_TEST_PG_URL="$PG_URL" LEASEHOLD_TEST_PG_CA="$pgdir/c/ca.crt" \
    cargo test --workspace || status=$?
  pg_cleanup "$pgdir/c"
  rm -rf "$pgdir"
  return "$status"
}

step "installing missing test tools" scripts/install-test-deps.sh
step "cargo fmt --check" cargo fmt --all --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo doc" cargo_doc
step "cargo test" cargo_test
step "fuzz (${FUZZ_SECONDS}s per target)" fuzz/run.sh "$FUZZ_SECONDS"

# Script suites: each prints "N passed, M failed" as its last line and exits non-zero on failure.
# All of them run even when one fails; the run fails at the end if any did.
total_pass=0
total_fail=0
failed_suites=()
run_suite() {
  local name=$1
  shift
  echo "== $name"
  local start=$SECONDS
  local log
  log=$(mktemp)
  local status=0
  "$@" 2>&1 | tee "$log" || status=$?
  echo "== $name: $((SECONDS - start)) s"
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
run_suite "starvation defence" tests/attack/starvation.sh
run_suite "several servers on PostgreSQL" tests/cluster/run.sh
run_suite "network boot: real VMs" tests/boot/run.sh
run_suite "switching from dhcpd, Kea, dnsmasq" tests/migrate/run.sh
run_suite "DNS updates: BIND 9 and Knot" tests/ddns/run.sh
run_suite "Debian package" tests/package/run.sh
run_suite "dashboard in headless Chromium" tests/dashboard/run.sh
run_suite "control API: schemathesis" tests/api/schemathesis.sh

if [ "${#failed_suites[@]}" != 0 ]; then
  echo "failed suites: ${failed_suites[*]}" >&2
fi
echo "== total: ${SECONDS} s"
echo "scripts: ${total_pass} passed, ${total_fail} failed"
[ "${#failed_suites[@]}" = 0 ]
