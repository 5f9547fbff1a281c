# shellcheck shell=bash
# Shared scaffolding for the root-only network-namespace test suites (tests/e2e/run.sh,
# tests/e2e/relay.sh, tests/attack/run.sh). Source it after `set -euo pipefail`:
#
#   NETNS_NAME=e2e                    # prefix of die/cleanup messages on stderr
#   . "$HERE/../lib/netns.sh"
#   netns_require_root ": sudo $0"; need ip iproute2; ...
#   TAG=$$; NS_X=lh-x-$TAG; WORK=$(mktemp -d ...)
#   netns_init                        # state + cleanup traps (EXIT, INT -> 130, TERM -> 143)
#   addns "$NS_X"; ...; pass ...; fail ...; figure ...
#   netns_summary                     # last line `N passed, M failed`; non-zero status on failure
#
# Knobs read by the cleanup (set them before it runs): KEEP (1: keep $WORK), NETNS_SETTLE
# (seconds between SIGTERM to our PIDs and SIGKILL to what is left in our namespaces, 0.3),
# NETNS_KEPT (what the "kept in $WORK" message names, "logs"), NETNS_KEEP_ON_FAIL (1: keep
# $WORK also when a check failed).
#
# Only what the script started or created is touched: the PIDs in PIDS, processes inside the
# namespaces in CREATED_NS, those namespaces, and $WORK.

NETNS_NAME=${NETNS_NAME:-netns}

die() { echo "$NETNS_NAME: $*" >&2; exit 2; }
# need CMD PACKAGE: CMD must be on PATH.
need() { command -v "$1" >/dev/null 2>&1 || die "missing prerequisite '$1' (Debian package: $2)"; }
# netns_require_root [SUFFIX]: SUFFIX is appended to the error message (e.g. ": sudo $0").
netns_require_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (it creates network namespaces)${1:-}"
}

# ---------------------------------------------------------------- state and cleanup
# netns_init: empty state, cleanup on exit/failure/SIGINT/SIGTERM. Call it once WORK exists.
netns_init() {
  CREATED_NS=()
  PIDS=()
  PASSED=0
  FAILED=0
  trap netns_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

netns_cleanup() {
  local rc=$? pid n
  trap - EXIT INT TERM
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  sleep "${NETNS_SETTLE:-0.3}"
  # Anything still running inside our namespaces was started by this run.
  for n in "${CREATED_NS[@]}"; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for n in "${CREATED_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
  if [[ ${KEEP:-0} == 1 || $rc -ne 0 || (${NETNS_KEEP_ON_FAIL:-0} == 1 && $FAILED -ne 0) ]]; then
    echo "$NETNS_NAME: ${NETNS_KEPT:-logs} kept in ${WORK:-}" >&2
  elif [[ -n ${WORK:-} ]]; then
    rm -rf "$WORK"
  fi
  exit "$rc"
}

# ---------------------------------------------------------------- results
# pass WORDS...           -> `PASS WORDS...`
# fail WORDS... REASON    -> `FAIL WORDS... — REASON`; with a single argument, `FAIL ARG`.
# figure WORDS...         -> `FIGURE WORDS...` (a measurement, not counted)
pass() { echo "PASS $*"; PASSED=$((PASSED + 1)); }
fail() {
  if (($# > 1)); then
    echo "FAIL ${*:1:$#-1} — ${!#}"
  else
    echo "FAIL $*"
  fi
  FAILED=$((FAILED + 1))
}
figure() { echo "FIGURE $*"; }
# netns_summary: the last line; its status is non-zero when any check failed.
netns_summary() {
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

# ---------------------------------------------------------------- namespaces, links, bridge
# addns NAME: create a namespace (removed by the cleanup) with lo up.
addns() { ip netns add "$1"; CREATED_NS+=("$1"); ip -n "$1" link set lo up; }
# x NS CMD...: run CMD in namespace NS. `x ... &` gives the PID of a bash subshell, not CMD's:
# start a background process whose PID matters with `ip netns exec NS CMD &` directly.
x() { local n=$1; shift; ip netns exec "$n" "$@"; }
# veth NS IFNAME PEER-NS PEER-IFNAME: a veth pair between two namespaces (links left down).
veth() { ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"; }
# bridge_add NS: bridge br0 in NS, no STP, no forwarding delay, up.
bridge_add() {
  ip -n "$1" link add br0 type bridge forward_delay 0 stp_state 0
  ip -n "$1" link set br0 up
}
# bridge_plug BR-NS NS IFNAME PORT [MAC]: veth IFNAME in NS, its peer PORT on br0 in BR-NS.
bridge_plug() {
  ip -n "$1" link add "$4" type veth peer name "$3" netns "$2"
  ip -n "$1" link set "$4" master br0 up
  if [[ -n ${5:-} ]]; then ip -n "$2" link set "$3" address "$5"; fi
  ip -n "$2" link set "$3" up
}
# bridge_ready BR-NS [PORTS]: every port of br0 forwards (and, given PORTS, that many are up).
bridge_ready() {
  if [[ -n ${2:-} ]]; then
    local got
    got=$(ip -n "$1" -o link show master br0 | grep -c 'state UP') || return 1
    [[ $got -eq $2 ]] || return 1
  fi
  ! bridge -n "$1" link show | grep -v 'state forwarding' | grep -q .
}

# ---------------------------------------------------------------- bounded waits, processes
# wait_for SECONDS CMD...: poll (every 0.2 s, output discarded) until CMD succeeds, at most SECONDS.
wait_for() {
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.2
  done
}
# stop PID: terminate a process this script started and reap it (bounded; SIGKILL after 10 s).
stop() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  # A finished child stays a zombie (kill -0 succeeds) until reaped, so look at its state.
  wait_for 10 bash -c "! ps -o stat= -p $pid | grep -qv Z" || kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}
# port_open NS PORT: something listens on UDP PORT in NS.
port_open() { [[ -n $(x "$1" ss -Hulpn "sport = :$2" 2>/dev/null) ]]; }
port_free() { ! port_open "$1" "$2"; }
