#!/usr/bin/env bash
# Dashboard test in headless Chromium, all on 127.0.0.1: starts `leasehold serve` with the
# control API on a free port, makes a few leases with real DORAs (dora.py), loads the dashboard
# with `chromium --headless --dump-dom` after its JavaScript ran, checks the DOM shows the leases,
# the pool bar and the rate chart, and saves a screenshot to docs/dashboard.png.
# Prints "N passed, M failed" last; exits non-zero on any failure.
# Needs: chromium (scripts/install-test-deps.sh), python3, cargo.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

pass=0
fail=0
check() { # name, command...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
  exit $?
}

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "tests/dashboard: chromium is missing: run scripts/install-test-deps.sh" >&2
  fail=1; finish
fi

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build -q -p leasehold || { fail=1; finish; }
BIN=$TARGET/debug/leasehold
# shellcheck source=tests/lib/control_api.sh
. "$ROOT/tests/lib/control_api.sh"

WORK=$(mktemp -d)
PROFILE=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK" "$PROFILE"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$WORK/leasehold.toml" <<CONF
[server]
listen_address = "127.0.0.1"
server_port = $PORT
client_port = $((PORT + 1))
lease_time = 3600

[[subnet]]
subnet = "127.0.0.0/8"
[subnet.options]
router = "127.0.0.1"
[[subnet.pool]]
range = "127.0.0.100-127.0.0.119"

[control]
listen = "127.0.0.1:0"

[alerts]
pool_utilization_percent = 20
CONF

start_server_with_api "$BIN" "$WORK/leasehold.toml" "$WORK/leases.db" "$WORK/server.log"
check "server started with its control API" test -n "$API"
[ -n "$API" ] || { cat "$WORK/server.log"; finish; }

python3 tests/dashboard/dora.py "$PORT" 5 dash > "$WORK/leases.txt"
check "5 DORAs acknowledged" test "$(wc -l < "$WORK/leases.txt")" = 5

chrome() {
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$PROFILE" --virtual-time-budget=5000 "$@" 2>>"$WORK/chromium.log"
}
chrome --dump-dom "$API/" > "$WORK/dom.html"

check "page loaded its data" grep -q 'data-loaded="true"' "$WORK/dom.html"
all_leases() {
  local a
  while read -r a; do grep -q "data-address=\"$a\"" "$WORK/dom.html" || return 1; done < "$WORK/leases.txt"
}
check "every lease is in the lease table" all_leases
check "host names shown" grep -q 'dash-3' "$WORK/dom.html"
check "pool bar for 127.0.0.100-127.0.0.119" grep -q '127.0.0.100–127.0.0.119' "$WORK/dom.html"
check "pool utilisation 25.0%" grep -q '25.0% (5 assigned' "$WORK/dom.html"
check "rate chart drawn" grep -q '<polyline[^>]*data-series="requests"' "$WORK/dom.html"
check "requests counted in the chart legend" grep -q 'requests 10' "$WORK/dom.html"
check "no error shown" bash -c "! grep -q 'error:' '$WORK/dom.html'"

mkdir -p docs
chrome --screenshot="$ROOT/docs/dashboard.png" --window-size=1280,900 "$API/" >/dev/null
check "screenshot saved" test -s docs/dashboard.png

finish
