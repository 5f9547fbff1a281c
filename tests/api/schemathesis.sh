#!/usr/bin/env bash
# Fuzzes the control API against its own OpenAPI document with schemathesis, on 127.0.0.1 only:
# starts `leasehold serve` with the control API on a free port and a write token (so writes are
# fuzzed too), runs `schemathesis run` with the not_a_server_error check (no 5xx answer to any
# generated request), bounded by --max-examples. Prints "N passed, M failed" last.
# Needs: python3 with schemathesis (pip install schemathesis), cargo.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
MAX_EXAMPLES=${MAX_EXAMPLES:-20}

if ! command -v schemathesis >/dev/null 2>&1; then
  echo "tests/api: schemathesis is missing: pip install schemathesis" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build -q -p leasehold || { echo "0 passed, 1 failed"; exit 1; }
BIN=$TARGET/debug/leasehold
# shellcheck source=tests/lib/control_api.sh
. "$ROOT/tests/lib/control_api.sh"

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=schemathesis-token
echo "$TOKEN" > "$WORK/token"
cat > "$WORK/leasehold.toml" <<CONF
[server]
listen_address = "127.0.0.1"
server_port = $PORT
client_port = $((PORT + 1))

[[subnet]]
subnet = "127.0.0.0/8"
[[subnet.pool]]
range = "127.0.0.100-127.0.0.199"
[[subnet.reservation]]
hw_address = "52:54:00:00:00:01"
address = "127.0.0.10"

[control]
listen = "127.0.0.1:0"
token_file = "$WORK/token"
CONF

start_server_with_api "$BIN" "$WORK/leasehold.toml" "$WORK/leases.db" "$WORK/server.log"
if [ -z "$API" ]; then
  cat "$WORK/server.log" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# From the scratch directory: schemathesis leaves a .schemathesis/ cache in its working directory.
(cd "$WORK" && schemathesis run "$API/api/openapi.json" \
  --checks not_a_server_error \
  --max-examples="$MAX_EXAMPLES" \
  --header "Authorization: Bearer $TOKEN" \
  --generation-deterministic) \
  2>&1 | tee "$WORK/st.log"
status=${PIPESTATUS[0]}

alive=0
kill -0 "$SERVER_PID" 2>/dev/null && alive=1
pass=0; fail=0
if [ "$status" = 0 ]; then pass=$((pass + 1)); echo "ok   schemathesis: no server error"; else fail=$((fail + 1)); echo "FAIL schemathesis (exit $status)"; fi
if [ "$alive" = 1 ]; then pass=$((pass + 1)); echo "ok   server still running"; else fail=$((fail + 1)); echo "FAIL server died"; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
