# Shared by the loopback script suites that talk to the control API (tests/api, tests/dashboard).
# Source it; it defines one function.

# start_server_with_api BIN CONFIG DB LOG
# Starts `BIN serve` in the background with stderr to LOG, and waits (bounded: 30 s, and only while
# the server is alive) for its "control API listening on http://..." line. Sets SERVER_PID (the
# caller kills it by PID) and API (the base URL, empty when the server never came up).
start_server_with_api() {
  local bin=$1 config=$2 db=$3 log=$4
  "$bin" serve --config "$config" --db "$db" 2> "$log" &
  SERVER_PID=$!
  API=
  for _ in $(seq 1 300); do
    API=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1)
    [ -n "$API" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
}
