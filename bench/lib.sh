# shellcheck shell=bash
# Shared start-up code of bench/run.sh and bench/cpu.sh: prerequisites, the two-namespace veth
# topology (198.18.0.0/15 only), the Leasehold configuration, starting/stopping one server at a
# time (pinned to CPU 0) and perfdhcp (pinned to CPU 1), and clean-up of what the script created.
#
#   . "$ROOT/bench/lib.sh"
#   bench_init lhb                    # names lhb-srv-PID, lhb-cli-PID, lhbsPID, lhbcPID
#   bench_preflight ip taskset perfdhcp ss awk
#   trap bench_cleanup EXIT; trap 'exit 130' INT TERM
#   mkdir -p "$WORK"; ...; bench_socket_buffers; bench_topology; write_leasehold_toml; start_server leasehold
#
# Needs WORK and (for run_perfdhcp) STEP_SECONDS, CLIENTS; LEASEHOLD before starting Leasehold.

# die MESSAGE: "<script name>: MESSAGE" on stderr, exit 1.
die() { echo "${0##*/}: $*" >&2; exit 1; }

# bench_init PREFIX: per-run names (unique by PID) and fixed addresses.
bench_init() {
    NS_S=$1-srv-$$
    NS_C=$1-cli-$$
    IF_S=$1s$$
    IF_C=$1c$$
    SRV_ADDR=198.18.0.1
    CLI_ADDR=198.18.0.2
    # shellcheck disable=SC2034  # clock ticks per second, for the sourcing script
    HZ=$(getconf CLK_TCK)
    SERVER_PID=""
    RMEM_SAVED=""
}

# bench_socket_buffers: raises net.core.rmem_default (RMEM_DEFAULT bytes, default 4 MiB, the
# buffer Leasehold asks for itself; 0 leaves it alone) for the duration of the run, restored by
# bench_cleanup. perfdhcp has no socket-buffer option and this kernel refuses the sysctl inside
# a network namespace, yet sockets there take the root namespace's value: with the stock
# 208 KiB, perfdhcp's own receive queue overflows near its one-core sending ceiling, whichever
# server answers (its drops show as client-side RcvbufErrors). Every process started by the
# benchmark (Kea, Leasehold, perfdhcp) gets the same default. The run prints the value it
# restores; only a SIGKILL of the script would leave the raised one in place.
bench_socket_buffers() {
    local want=${RMEM_DEFAULT:-4194304}
    case "$want" in ''|*[!0-9]*) die "RMEM_DEFAULT must be a number of bytes";; esac
    [ "$want" -gt 0 ] || return 0
    RMEM_SAVED=$(sysctl -n net.core.rmem_default)
    sysctl -qw net.core.rmem_default="$want" || die "cannot set net.core.rmem_default"
}

# bench_preflight TOOL...: root, the tools, two CPUs, a numeric STEP_SECONDS.
bench_preflight() {
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, port 67)"
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "missing $tool"
    done
    [ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (server on CPU 0, load generator on CPU 1)"
    case "$STEP_SECONDS" in ''|*[!0-9]*) die "STEP_SECONDS must be a number";; esac
}

# ---------------------------------------------------------------------------------------------
# Clean-up: only what this script started and created.
# stop_pid PID: SIGTERM, up to 5 s to exit, then SIGKILL; reaps it. Only for processes this
# script started.
stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_server() {
    local pid=$SERVER_PID
    [ -n "$pid" ] || return 0
    SERVER_PID=""
    stop_pid "$pid"
}

# bench_cleanup: the EXIT trap. Stops the server, removes the namespaces and the lease databases
# (results and logs stay in $WORK).
bench_cleanup() {
    local rc=$?
    stop_server
    if [ -n "$RMEM_SAVED" ]; then sysctl -qw net.core.rmem_default="$RMEM_SAVED" || true; fi
    ip netns del "$NS_S" 2>/dev/null || true
    ip netns del "$NS_C" 2>/dev/null || true
    rm -f "$WORK"/*.db "$WORK"/*.db-wal "$WORK"/*.db-shm "$WORK"/*.lock "$WORK"/kea-leases4.csv* \
        2>/dev/null || true
    [ $rc -eq 0 ] || echo "${0##*/}: failed (exit $rc); partial results in $WORK" >&2
}

# ---------------------------------------------------------------------------------------------
# Topology: server namespace <-veth-> client namespace, 198.18.0.0/15.
bench_topology() {
    ip netns add "$NS_S"
    ip netns add "$NS_C"
    ip link add "$IF_S" type veth peer name "$IF_C"
    ip link set "$IF_S" netns "$NS_S"
    ip link set "$IF_C" netns "$NS_C"
    ip -n "$NS_S" addr add "$SRV_ADDR/15" dev "$IF_S"
    ip -n "$NS_C" addr add "$CLI_ADDR/15" dev "$IF_C"
    local ns
    for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_S" link set "$IF_S" up
    ip -n "$NS_C" link set "$IF_C" up
}

# write_leasehold_toml [EXTRA]: $WORK/leasehold.toml; EXTRA, when given, is a line (possibly
# empty) appended to the [server] table.
write_leasehold_toml() {
    {
        cat <<EOF
[server]
interfaces = ["$IF_S"]
server_port = 67
client_port = 68
lease_time = 3600
EOF
        if [ $# -gt 0 ]; then printf '%s\n' "$1"; fi
        cat <<'EOF'

# The load generators are one relay agent standing for 100,000 clients: the guard's per-relay
# rate limit (default 500 packets/s) would throttle them, so it is off here (the per-client
# and per-circuit limits stay on).
[security]
relay_rate = 0
# perfdhcp's hundreds of thousands of one-shot client identities per run are, by design, what the
# pressure defence holds back (their first DISCOVERs would go unanswered, as a flood's). The
# defence stays on, with its bookkeeping on every request, but with a trigger no step reaches, so
# the benchmark measures the default code path serving; Kea has no such defence.
pressure_new_bindings = 100000000

[[subnet]]
subnet = "198.18.0.0/15"

[[subnet.pool]]
range = "198.18.16.0-198.19.255.254"
EOF
    } > "$WORK/leasehold.toml"
}

# launch_server NAME (kea | leasehold): fresh (empty lease file) in the server namespace on CPU 0,
# in the background; sets SERVER_PID. Kea needs $WORK/kea.json.
launch_server() {
    rm -f "$WORK"/*.db "$WORK"/*.db-wal "$WORK"/*.db-shm "$WORK"/kea-leases4.csv* 2>/dev/null || true
    case $1 in
        kea)
            KEA_PIDFILE_DIR=$WORK KEA_LOCKFILE_DIR=$WORK \
                ip netns exec "$NS_S" taskset -c 0 kea-dhcp4 -c "$WORK/kea.json" \
                >>"$WORK/kea.out" 2>&1 &
            ;;
        leasehold)
            RUST_LOG=warn ip netns exec "$NS_S" taskset -c 0 "$LEASEHOLD" serve \
                --config "$WORK/leasehold.toml" --db "$WORK/leasehold.db" \
                >>"$WORK/leasehold.out" 2>&1 &
            ;;
    esac
    SERVER_PID=$!
}

# wait_server_bound NAME: waits (at most 10 s) until the server listens on UDP 67; dies if it
# exited, returns 1 on time-out.
wait_server_bound() {
    for _ in $(seq 1 100); do
        if ip netns exec "$NS_S" ss -Hulnp 'sport = :67' 2>/dev/null | grep -q "pid=$SERVER_PID,"; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || die "$1 exited at start-up (see $WORK/$1.out)"
        sleep 0.1
    done
    return 1
}

# start_server NAME: launch_server, then wait (bounded) until it listens on UDP 67.
start_server() {
    launch_server "$1"
    wait_server_bound "$1" || die "$1 did not bind UDP 67 within 10 s"
}

# udp_rcvbuf_errors NS: datagrams the kernel dropped in namespace NS because a UDP socket's
# receive buffer was full (RcvbufErrors of /proc/net/snmp), to tell server drops from client drops.
udp_rcvbuf_errors() {
    # shellcheck disable=SC2016  # awk's own $fields
    ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
        else print $c["RcvbufErrors"] }' /proc/net/snmp
}

# CPU ticks (utime + stime) of the running server.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# perfdhcp at rate $1 for STEP_SECONDS from the client namespace on CPU 1; output in file $2.
run_perfdhcp() {
    timeout $((STEP_SECONDS + 30)) ip netns exec "$NS_C" taskset -c 1 \
        perfdhcp -4 -r "$1" -R "$CLIENTS" -p "$STEP_SECONDS" -W 1000000 -l "$CLI_ADDR" "$SRV_ADDR" \
        >"$2" 2>&1 || true
}
