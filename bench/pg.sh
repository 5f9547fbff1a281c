#!/usr/bin/env bash
# Leasehold vs Kea, both on PostgreSQL: one command, one run, one throw-away PostgreSQL cluster.
#
#   sudo bench/pg.sh             # defaults: 10 s per step (about 12 minutes in all, plus the build)
#
# Configurations (every measurement starts its server(s) fresh on an empty database):
#   kea     kea-dhcp4 2.2, lease-database type postgresql (schema by `kea-admin db-init pgsql`),
#           as shipped: multi-threading off (Kea 2.2's default)
#   kea-mt  the same with multi-threading on (KEA_THREADS threads, packet queue 64): what ISC
#           recommends for a database backend
#   lh1     one Leasehold server (release build), [store] backend = "postgres"
#   lh2     two Leasehold servers on the same database and the same pool (server_id a and b,
#           [store] affinity = "1/2" and "2/2", see LH_AFFINITY), each in its own namespace; the
#           load is split in half between them (below)
#   lh2s    diagnostic: lh2 with the pool split in two halves, one per server (a: 198.18.70.0-
#           198.19.34.255, b: 198.19.35.0-198.19.255.254), so that the servers never compete
#           for an address; still one database, each server still applying the other's commits
#
# Topology: network namespaces created here, addresses 198.18.60.0/24-198.18.62.0/24 only:
#   server namespace A (198.18.60.1/24) <-veth-> client namespace (198.18.60.2/24)
#   server namespace B (198.18.61.1/24) <-veth-> client namespace (198.18.61.2/24)
# Kea, lh1 and server a of lh2/lh2s run in A; server b in B. Every server serves the subnet
# 198.18.0.0/15 (the relay addresses are in it) from the pool 198.18.70.0-198.19.255.254 (113,151
# addresses, none of them configured on any interface; they only travel in DHCP packets and the
# database). Nothing touches the root namespace's interfaces.
#
# PostgreSQL: one cluster (tests/lib/pg.sh) in $WORK/pg for the whole run, in the root namespace,
# unix socket only (no TCP listener): socket files are reachable from every network namespace.
# fsync = on, synchronous_commit = on (every committed lease is flushed before the commit returns).
# Before every measurement the database is dropped and created again (Kea's: `kea-admin db-init`;
# Leasehold creates its schema itself) and a CHECKPOINT is taken. Leasehold's URL is
# postgresql://leasehold:...@%2F<socket dir>:PORT/leasehold, Kea's "host" is the socket directory.
#
# Pinning: servers on CPU 0 (both lh2 servers share it), load generators on CPU 1 (both perfdhcp
# or loadgen instances of lh2 share it). PostgreSQL is not pinned: it floats over both CPUs.
#
# Measurements:
#   (a) rate ladder with perfdhcp (full DORA, relayed: giaddr = the client namespace's address,
#       replies unicast to it): highest completed exchanges/s with < 1 % of exchanges unfinished
#       (DISCOVERs sent - ACKs received). For lh2 and lh2s, two perfdhcp instances each send half
#       the rate to one server, disjoint client MACs (-b mac=00:0c:01:... and 00:0c:02:...,
#       -R CLIENTS/2 each), and the figures are their sums. Each step prints the lease rows found
#       in PostgreSQL afterwards (Kea: lease4; Leasehold: bound rows of leases, per server for the
#       pairs, and how many clients hold two) and the datagrams the kernel dropped for full
#       receive buffers (server namespaces, client namespace).
#   (b) CPU seconds per completed exchange: utime+stime of the server process(es) plus all
#       processes of the PostgreSQL cluster (the postmaster and its children, read from /proc;
#       the postmaster's cutime+cstime too, so a backend that exits within the step still counts),
#       at the highest ladder rate every configuration sustained: median of that ladder step and
#       CPU_REPEATS more runs per configuration, alternating.
#   (c) full-exchange latency (DISCOVER sent -> ACK received) p50/p90/p99 at LAT_RATE/s with
#       crates/leasehold/examples/loadgen.rs for every configuration (lh2, lh2s: two loadgens at
#       LAT_RATE/2 each, one per server; both lines printed); perfdhcp's per-phase averages are
#       in (a).
#
# Tunables (environment): STEP_SECONDS (10), RATES ("250 500 1000 2000 4000 6000 8000 10000 12000
# 14000 16000"), CONFIGS ("kea kea-mt lh1 lh2 lh2s"), LAT_RATE (250), CLIENTS (100000),
# CPU_REPEATS (2), KEA_THREADS (4), WORK (/var/tmp/lhp-bench.PID), CARGO_TARGET_DIR
# (/tmp/target-bench), SKIP_BUILD (0), LH_AFFINITY (1; 0 = lh2's servers without [store] affinity),
# LH_LOG (warn,leasehold_server::dispatch=info: RUST_LOG of the Leasehold servers; the dispatcher's
# info lines are the replies withheld after a refused record, counted per step), RMEM_DEFAULT (4194304; see bench_socket_buffers
# in bench/lib.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STEP_SECONDS=${STEP_SECONDS:-10}
RATES=${RATES:-"250 500 1000 2000 4000 6000 8000 10000 12000 14000 16000"}
CONFIGS=${CONFIGS:-"kea kea-mt lh1 lh2 lh2s"}
LAT_RATE=${LAT_RATE:-250}
CLIENTS=${CLIENTS:-100000}
CPU_REPEATS=${CPU_REPEATS:-2}
KEA_THREADS=${KEA_THREADS:-4}
WORK=${WORK:-/var/tmp/lhp-bench.$$}
TARGET=${CARGO_TARGET_DIR:-/tmp/target-bench}
SKIP_BUILD=${SKIP_BUILD:-0}
LH_AFFINITY=${LH_AFFINITY:-1}
LH_LOG=${LH_LOG:-warn,leasehold_server::dispatch=info}

# die, bench_preflight, bench_socket_buffers, udp_rcvbuf_errors, stop_pid, HZ.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$ROOT/bench/lib.sh"
# pg_start, pg_free_port, pg_cleanup, PG_BIN, PG_AS, PG_USER, PG_PASSWORD.
# shellcheck source-path=SCRIPTDIR source=../tests/lib/pg.sh
. "$ROOT/tests/lib/pg.sh"

bench_init lhp   # HZ, RMEM_SAVED; its names and addresses are replaced below
bench_preflight ip taskset kea-dhcp4 kea-admin perfdhcp psql ss awk
for n in CPU_REPEATS LAT_RATE CLIENTS KEA_THREADS; do
    case "${!n}" in ''|*[!0-9]*) die "$n must be a number";; esac
done
if [ "$LAT_RATE" -lt 2 ] || [ "$CLIENTS" -lt 2 ]; then die "LAT_RATE and CLIENTS must be at least 2"; fi
for c in $CONFIGS; do
    case $c in kea|kea-mt|lh1|lh2|lh2s) ;; *) die "unknown configuration '$c' in CONFIGS";; esac
done
for r in $RATES; do
    case "$r" in ''|*[!0-9]*) die "RATES must be numbers";; esac
    [ "$r" -ge 2 ] || die "RATES must be at least 2 (lh2 splits each in half)"
done
pg__check || die "PostgreSQL is missing (Debian package: postgresql)"

NS_A=lhp-a-$$
NS_B=lhp-b-$$
NS_C=lhp-cli-$$
IF_A=lhpa$$       # in NS_A, peer IF_CA in NS_C
IF_B=lhpb$$       # in NS_B, peer IF_CB in NS_C
IF_CA=lhpca$$
IF_CB=lhpcb$$
SRV_A=198.18.60.1
CLI_A=198.18.60.2
SRV_B=198.18.61.1
CLI_B=198.18.61.2
PGDIR=$WORK/pg
PGPORT=""
PG_STARTED=0
SERVER_PIDS=()    # running servers of the current measurement
GEN_PIDS=()       # running load generators started in the background

# ---------------------------------------------------------------------------------------------
# Clean-up: only what this script started and created (by PID and by name).
stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
    SERVER_PIDS=()
}
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    set +e
    for pid in "${GEN_PIDS[@]}"; do stop_pid "$pid"; done
    stop_servers
    if [ -n "$RMEM_SAVED" ]; then sysctl -qw net.core.rmem_default="$RMEM_SAVED" || true; fi
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
    ip netns del "$NS_C" 2>/dev/null
    if [ "$PG_STARTED" = 1 ]; then
        cp "$PGDIR/log" "$WORK/postgresql.log" 2>/dev/null
        pg_cleanup "$PGDIR"
    fi
    [ $rc -eq 0 ] || echo "${0##*/}: failed (exit $rc); partial results in $WORK" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$WORK"
chmod 711 "$WORK"   # the cluster runs as user postgres and lives in $WORK/pg
RESULTS=$WORK/results.txt
: > "$RESULTS"
log() { echo "$*" | tee -a "$RESULTS"; }

# ---------------------------------------------------------------------------------------------
# Build (release) the server and the latency load generator.
if [ "$SKIP_BUILD" != 1 ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release -q -p leasehold \
        --bin leasehold --example loadgen)
fi
LEASEHOLD=$TARGET/release/leasehold
LOADGEN=$TARGET/release/examples/loadgen
for b in "$LEASEHOLD" "$LOADGEN"; do [ -x "$b" ] || die "missing $b"; done

# ---------------------------------------------------------------------------------------------
# Topology.
topology() {
    ip netns add "$NS_A"
    ip netns add "$NS_B"
    ip netns add "$NS_C"
    ip link add "$IF_A" type veth peer name "$IF_CA"
    ip link add "$IF_B" type veth peer name "$IF_CB"
    ip link set "$IF_A" netns "$NS_A"
    ip link set "$IF_B" netns "$NS_B"
    ip link set "$IF_CA" netns "$NS_C"
    ip link set "$IF_CB" netns "$NS_C"
    ip -n "$NS_A" addr add "$SRV_A/24" dev "$IF_A"
    ip -n "$NS_B" addr add "$SRV_B/24" dev "$IF_B"
    ip -n "$NS_C" addr add "$CLI_A/24" dev "$IF_CA"
    ip -n "$NS_C" addr add "$CLI_B/24" dev "$IF_CB"
    local ns
    for ns in "$NS_A" "$NS_B" "$NS_C"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_A" link set "$IF_A" up
    ip -n "$NS_B" link set "$IF_B" up
    ip -n "$NS_C" link set "$IF_CA" up
    ip -n "$NS_C" link set "$IF_CB" up
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: the cluster, a fresh database per measurement, its CPU ticks.
admin_sql() { # DB SQL...: as the admin over the socket, unaligned tuples only, bounded
    local db=$1 sql
    shift
    for sql in "$@"; do
        timeout 60 "${PG_AS[@]}" "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGDIR" \
            -p "$PGPORT" -U postgres -d "$db" -c "$sql" || return 1
    done
}
# fresh_db NAME: drop and create database NAME (owner leasehold); for kea also its schema; then a
# checkpoint, so every measurement starts from the same state.
fresh_db() {
    local db=$1
    admin_sql postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" "CREATE DATABASE $db OWNER $PG_USER" \
        || die "cannot recreate database $db"
    if [ "$db" = kea ]; then
        timeout 60 kea-admin db-init pgsql -u "$PG_USER" -p "$PG_PASSWORD" -n kea -h "$PGDIR" \
            -P "$PGPORT" >>"$WORK/kea-admin.out" 2>&1 || die "kea-admin db-init failed (see $WORK/kea-admin.out)"
    fi
    admin_sql postgres "CHECKPOINT" || die "CHECKPOINT failed"
}
# pg_ticks: utime+stime of the postmaster (with its reaped children's cutime+cstime) and of all
# its children.
pg_ticks() {
    local pm
    pm=$(head -n 1 "$PGDIR/data/postmaster.pid")
    # /proc/PID/stat: the PID is field 1; after the closing parenthesis of comm, ppid is field 2,
    # utime 12, stime 13, cutime 14, cstime 15. cat skips a process that exits meanwhile.
    # cat goes on past a file that vanished (and then fails: hence || true), mawk would stop.
    # shellcheck disable=SC2002
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$pm" '{
            s = $0; sub(/^.*\) /, "", s); split(s, x, " ")
            if ($1 == pm) t += x[12] + x[13] + x[14] + x[15]
            else if (x[2] == pm) t += x[12] + x[13] }
        END { print t + 0 }'
}

# ---------------------------------------------------------------------------------------------
# Server configurations.
write_kea_json() { # FILE THREADS (0 = multi-threading off)
    local mt=false threads=$2
    [ "$threads" -gt 0 ] && mt=true
    [ "$threads" -gt 0 ] || threads=1
    cat > "$1" <<EOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "$IF_A" ], "dhcp-socket-type": "udp" },
  "lease-database": { "type": "postgresql", "name": "kea", "user": "$PG_USER",
                      "password": "$PG_PASSWORD", "host": "$PGDIR", "port": $PGPORT },
  "multi-threading": { "enable-multi-threading": $mt, "thread-pool-size": $threads,
                       "packet-queue-size": 64 },
  "valid-lifetime": 3600,
  "subnet4": [ { "subnet": "198.18.0.0/15",
                 "pools": [ { "pool": "198.18.70.0 - 198.19.255.254" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "WARN",
                 "output_options": [ { "output": "$WORK/kea.log" } ] } ]
} }
EOF
}

write_leasehold_pg_toml() { # FILE IFACE SERVER_ID POOL [AFFINITY]
    local url
    url=$(pg_socket_url "$PGDIR" "$PGPORT")
    {
        cat <<EOF
[server]
interfaces = ["$2"]
server_port = 67
client_port = 68
lease_time = 3600

# As in bench/lib.sh: the load generators are one relay agent standing for many clients, so the
# per-relay rate limit is off, and the pressure defence stays on with a trigger no step reaches.
[security]
relay_rate = 0
pressure_new_bindings = 100000000

[store]
backend = "postgres"
url = "$url"
server_id = "$3"
EOF
        if [ -n "${5:-}" ]; then printf 'affinity = "%s"\n' "$5"; fi
        cat <<EOF

[[subnet]]
subnet = "198.18.0.0/15"

[[subnet.pool]]
range = "$4"
EOF
    } > "$1"
    chmod 600 "$1"   # it holds the database password
}

# wait_bound NS PID NAME: the process PID listens on UDP 67 in NS (at most 15 s).
wait_bound() {
    for _ in $(seq 1 150); do
        if ip netns exec "$1" ss -Hulnp 'sport = :67' 2>/dev/null | grep -q "pid=$2,"; then
            return 0
        fi
        kill -0 "$2" 2>/dev/null || die "$3 exited at start-up (see $WORK/$3.out)"
        sleep 0.1
    done
    die "$3 did not bind UDP 67 within 15 s (see $WORK/$3.out)"
}

# start_config CONFIG: fresh database, server(s) started on CPU 0 and listening.
start_config() {
    local pid
    case $1 in
        kea|kea-mt)
            fresh_db kea
            rm -f "$WORK"/*.kea-dhcp4.pid 2>/dev/null || true
            KEA_PIDFILE_DIR=$WORK KEA_LOCKFILE_DIR=$WORK \
                ip netns exec "$NS_A" taskset -c 0 kea-dhcp4 -c "$WORK/$1.json" >>"$WORK/$1.out" 2>&1 &
            pid=$!
            SERVER_PIDS=("$pid")
            wait_bound "$NS_A" "$pid" "$1"
            ;;
        lh1)
            fresh_db leasehold
            RUST_LOG=$LH_LOG ip netns exec "$NS_A" taskset -c 0 "$LEASEHOLD" serve -c "$WORK/lh1.toml" \
                >>"$WORK/lh1.out" 2>&1 &
            pid=$!
            SERVER_PIDS=("$pid")
            wait_bound "$NS_A" "$pid" lh1
            ;;
        lh2|lh2s)
            fresh_db leasehold
            RUST_LOG=$LH_LOG ip netns exec "$NS_A" taskset -c 0 "$LEASEHOLD" serve -c "$WORK/$1-a.toml" \
                >>"$WORK/$1-a.out" 2>&1 &
            pid=$!
            SERVER_PIDS=("$pid")
            RUST_LOG=$LH_LOG ip netns exec "$NS_B" taskset -c 0 "$LEASEHOLD" serve -c "$WORK/$1-b.toml" \
                >>"$WORK/$1-b.out" 2>&1 &
            SERVER_PIDS+=("$!")
            wait_bound "$NS_A" "${SERVER_PIDS[0]}" "$1-a"
            wait_bound "$NS_B" "${SERVER_PIDS[1]}" "$1-b"
            ;;
    esac
}

server_ticks() {
    local pid t=0
    for pid in "${SERVER_PIDS[@]}"; do
        # A server that exited is a zombie until stop_servers reaps it: state Z.
        if ! awk '{ s = $0; sub(/^.*\) /, "", s); exit (s ~ /^Z/) }' "/proc/$pid/stat" 2>/dev/null; then
            die "server PID $pid exited during the measurement (see the *.out logs in $WORK)"
        fi
        t=$((t + $(awk '{ s = $0; sub(/^.*\) /, "", s); split(s, x, " "); print x[12] + x[13] }' "/proc/$pid/stat")))
    done
    echo "$t"
}

# db_rows CONFIG: lease rows in PostgreSQL after a measurement (Kea: lease4; Leasehold: bound rows
# of leases, "a+b" per server for lh2 and lh2s, and the number of clients holding two bound rows).
db_rows() {
    case $1 in
        kea|kea-mt) admin_sql kea "SELECT count(*) FROM lease4" ;;
        lh1) admin_sql leasehold "SELECT count(*) FROM leases WHERE state = 'bound'" ;;
        lh2|lh2s)
            admin_sql leasehold "SELECT coalesce(sum(CASE WHEN server = 'a' THEN 1 END), 0) || '+' ||
                    coalesce(sum(CASE WHEN server = 'b' THEN 1 END), 0) || ',dup=' ||
                    (SELECT count(*) FROM (SELECT coalesce(client, hwaddr) FROM leases
                        WHERE state = 'bound' GROUP BY 1 HAVING count(*) > 1) d)
                FROM leases WHERE state = 'bound'" ;;
    esac
}

# "discovers offers acks do_avg_ms ra_avg_ms" from a perfdhcp report.
parse_perfdhcp() {
    awk '
        /^sent packets:/     { s[++ns] = $3 }
        /^received packets:/ { r[++nr] = $3 }
        /^avg delay: [0-9.]+ ms/ { d[++nd] = $3 }
        END { printf "%d %d %d %s %s\n", s[1], r[1], r[2], (d[1] == "" ? "n/a" : d[1]), (d[2] == "" ? "n/a" : d[2]) }
    ' "$1"
}

# perfdhcp_cmd RATE CLIENTS LOCAL SERVER [MAC_BASE]: the command line of one perfdhcp in the client
# namespace on CPU 1, bounded by timeout (which passes a TERM on to perfdhcp).
perfdhcp_cmd() {
    PERF_CMD=(timeout $((STEP_SECONDS + 30)) ip netns exec "$NS_C" taskset -c 1
        perfdhcp -4 -r "$1" -R "$2")
    [ -z "${5:-}" ] || PERF_CMD+=(-b "mac=$5")
    PERF_CMD+=(-p "$STEP_SECONDS" -W 1000000 -l "$3" "$4")
}

# wait_gens: waits for the background load generators in GEN_PIDS.
wait_gens() {
    local pid
    for pid in "${GEN_PIDS[@]}"; do wait "$pid" || true; done
    GEN_PIDS=()
}

# run_load CONFIG RATE OUT_PREFIX: perfdhcp at RATE (lh2, lh2s: two instances at RATE/2 each, one
# per server); sets LOAD to "discovers acks do_avg ra_avg" (sums; averages weighted by replies).
run_load() {
    local c=$1 rate=$2 out=$3
    if is_pair "$c"; then
        local half=$((rate / 2))
        perfdhcp_cmd "$half" $((CLIENTS / 2)) "$CLI_A" "$SRV_A" 00:0c:01:00:00:00
        "${PERF_CMD[@]}" >"$out-a.txt" 2>&1 &
        GEN_PIDS=("$!")
        perfdhcp_cmd $((rate - half)) $((CLIENTS - CLIENTS / 2)) "$CLI_B" "$SRV_B" 00:0c:02:00:00:00
        "${PERF_CMD[@]}" >"$out-b.txt" 2>&1 &
        GEN_PIDS+=("$!")
        wait_gens
        LOAD=$({ parse_perfdhcp "$out-a.txt"; parse_perfdhcp "$out-b.txt"; } | awk '
            { d += $1; o += $2; a += $3
              if ($4 != "n/a") { dw += $4 * $2; dn += $2 }
              if ($5 != "n/a") { rw += $5 * $3; rn += $3 } }
            END { printf "%d %d %s %s\n", d, a, (dn > 0 ? sprintf("%.3f", dw / dn) : "n/a"),
                  (rn > 0 ? sprintf("%.3f", rw / rn) : "n/a") }')
    else
        perfdhcp_cmd "$rate" "$CLIENTS" "$CLI_A" "$SRV_A"
        "${PERF_CMD[@]}" >"$out.txt" 2>&1 || true
        LOAD=$(parse_perfdhcp "$out.txt" | awk '{ print $1, $3, $4, $5 }')
    fi
}

is_pair() { [ "$1" = lh2 ] || [ "$1" = lh2s ]; }

# withheld CONFIG: replies the Leasehold server(s) of CONFIG withheld so far because the database
# refused their record (another server bound the address first): "reply withheld" log lines.
withheld() {
    case $1 in
        lh1) cat "$WORK/lh1.out" 2>/dev/null | grep -c "reply withheld" || true ;;
        lh2|lh2s) cat "$WORK/$1-a.out" "$WORK/$1-b.out" 2>/dev/null | grep -c "reply withheld" || true ;;
        *) echo 0 ;;
    esac
}

rcvbuf_servers() { echo $(($(udp_rcvbuf_errors "$NS_A") + $(udp_rcvbuf_errors "$NS_B"))); }

# run_step CONFIG RATE: fresh database and server(s), perfdhcp at RATE for STEP_SECONDS; sets
# STEP_LINE (one row of the ladder table).
STEP_NO=0
run_step() {
    local c=$1 rate=$2 s0 s1 p0 p1 se0 ce0 se ce w0 w rows discovers acks do_avg ra_avg
    start_config "$c"
    se0=$(rcvbuf_servers); ce0=$(udp_rcvbuf_errors "$NS_C"); w0=$(withheld "$c")
    s0=$(server_ticks); p0=$(pg_ticks)
    STEP_NO=$((STEP_NO + 1))
    run_load "$c" "$rate" "$WORK/perfdhcp-$c-$rate-$STEP_NO"
    read -r discovers acks do_avg ra_avg <<<"$LOAD"
    s1=$(server_ticks); p1=$(pg_ticks)
    se=$(($(rcvbuf_servers) - se0)); ce=$(($(udp_rcvbuf_errors "$NS_C") - ce0))
    stop_servers
    w=$(($(withheld "$c") - w0))
    rows=$(db_rows "$c" || echo "?")
    STEP_LINE=$(awk -v s="$c" -v r="$rate" -v d="$discovers" -v a="$acks" -v t="$STEP_SECONDS" \
        -v sc=$((s1 - s0)) -v pc=$((p1 - p0)) -v hz="$HZ" -v da="$do_avg" -v ra="$ra_avg" \
        -v se="$se" -v ce="$ce" -v rows="$rows" -v w="$w" 'BEGIN {
            drop = d > 0 ? 100 * (d - a) / d : 100
            srv = a > 0 ? (sc / hz) / a : 0; pg = a > 0 ? (pc / hz) / a : 0
            printf "%-7s %9d  %7.1f  %11.1f  %6.2f  %9s  %9s  %.3e  %.3e  %.3e  %-18s %d,%d  %d\n",
                s, r, d / t, a / t, drop, da, ra, srv + pg, srv, pg, rows, se, ce, w }')
}

# ---------------------------------------------------------------------------------------------
bench_socket_buffers
topology
PGPORT=$(pg_free_port 26060) || die "no free port for PostgreSQL"
PG_STARTED=1
pg_start "$PGDIR" "$PGPORT" '' >/dev/null || die "PostgreSQL did not start (see $PGDIR/log)"

write_kea_json "$WORK/kea.json" 0
write_kea_json "$WORK/kea-mt.json" "$KEA_THREADS"
POOL=198.18.70.0-198.19.255.254
write_leasehold_pg_toml "$WORK/lh1.toml" "$IF_A" a "$POOL"
if [ "$LH_AFFINITY" = 1 ]; then
    write_leasehold_pg_toml "$WORK/lh2-a.toml" "$IF_A" a "$POOL" 1/2
    write_leasehold_pg_toml "$WORK/lh2-b.toml" "$IF_B" b "$POOL" 2/2
else
    write_leasehold_pg_toml "$WORK/lh2-a.toml" "$IF_A" a "$POOL"
    write_leasehold_pg_toml "$WORK/lh2-b.toml" "$IF_B" b "$POOL"
fi
write_leasehold_pg_toml "$WORK/lh2s-a.toml" "$IF_A" a 198.18.70.0-198.19.34.255
write_leasehold_pg_toml "$WORK/lh2s-b.toml" "$IF_B" b 198.19.35.0-198.19.255.254

START=$(date +%s)
log "# Leasehold vs Kea on PostgreSQL, $(date -u '+%Y-%m-%d %H:%M UTC')"
log "machine: nproc=$(nproc) cpu=\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\" kernel=$(uname -r)"
log "kea: $(kea-dhcp4 -v 2>&1 | head -1); perfdhcp $(perfdhcp -v 2>&1 | awk '/VERSION/ {print $2}')"
log "postgresql: $(admin_sql postgres "SELECT version()" | cut -d, -f1); $(admin_sql postgres "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_wal_size', 'commit_delay')")"
log "postgresql data: $(df -T "$PGDIR" | awk 'NR == 2 {print $1, $2}') ($PGDIR), unix socket only, not pinned"
log "leasehold: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (release build, $LEASEHOLD); lh2 affinity: $([ "$LH_AFFINITY" = 1 ] && echo '1/2, 2/2' || echo none)"
log "kea-mt: multi-threading on, thread-pool-size $KEA_THREADS, packet-queue-size 64"
log "net.core.rmem_default during the run: $(sysctl -n net.core.rmem_default) (restored to ${RMEM_SAVED:-its value} at exit)"
log "step: ${STEP_SECONDS}s, clients (distinct MACs): $CLIENTS, configurations: $CONFIGS"
log "load avg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
log ""
log "## (a) rate ladder (perfdhcp, full DORA; drop = exchanges without ACK; cpu = server + postgres)"
log "config  offered/s   sent/s  completed/s   drop%  DO_avg_ms  RA_avg_ms  cpu_s/exch  server_s   pg_s       db_rows            rcvbuf(srv,cli)  withheld"

declare -A MAX_XPS FAILED CPU_AT
GEN_MAX=0
for c in $CONFIGS; do MAX_XPS[$c]=0; FAILED[$c]=0; done
ALL_OK=""
for rate in $RATES; do
    all_ok=1
    for c in $CONFIGS; do
        if [ "${FAILED[$c]}" = 1 ]; then all_ok=0; continue; fi
        run_step "$c" "$rate"
        log "$STEP_LINE"
        drop=$(echo "$STEP_LINE" | awk '{print $5}')
        xps=$(echo "$STEP_LINE" | awk '{print $4}')
        GEN_MAX=$(echo "$STEP_LINE" | awk -v m="$GEN_MAX" '{ print ($3 > m ? $3 : m) }')
        CPU_AT[$c,$rate]=$(echo "$STEP_LINE" | awk '{print $8 "/" $9 "/" $10}')
        if awk -v d="$drop" 'BEGIN { exit !(d < 1) }'; then
            MAX_XPS[$c]=$(awk -v a="${MAX_XPS[$c]}" -v b="$xps" 'BEGIN { print (b > a ? b : a) }')
        else
            FAILED[$c]=1
            all_ok=0
        fi
    done
    [ "$all_ok" = 1 ] && ALL_OK=$rate
    all_failed=1
    for c in $CONFIGS; do [ "${FAILED[$c]}" = 1 ] || all_failed=0; done
    [ "$all_failed" = 1 ] && break
done
log "load avg after the ladder: $(cut -d' ' -f1-3 /proc/loadavg); highest DISCOVER rate perfdhcp reached (CPU 1): $GEN_MAX/s"

# (b): the median of the ladder's run and CPU_REPEATS more at the rate every configuration
# sustained, alternating between the configurations; total/server/postgres of the median run
# (by total).
declare -A CPU_MEDIAN
if [ -n "$ALL_OK" ]; then
    log ""
    log "## (b) CPU per exchange at $ALL_OK/s (server + postgres): $CPU_REPEATS more runs per configuration, alternating"
    declare -A CPU_RUNS
    for c in $CONFIGS; do CPU_RUNS[$c]=${CPU_AT[$c,$ALL_OK]}; done
    for _ in $(seq 1 "$CPU_REPEATS"); do
        for c in $CONFIGS; do
            run_step "$c" "$ALL_OK"
            log "$STEP_LINE"
            CPU_RUNS[$c]="${CPU_RUNS[$c]} $(echo "$STEP_LINE" | awk '{print $8 "/" $9 "/" $10}')"
        done
    done
    for c in $CONFIGS; do
        CPU_MEDIAN[$c]=$(echo "${CPU_RUNS[$c]}" | tr ' ' '\n' | grep . | sort -t/ -k1,1g |
            awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }')
        log "$c: runs (total/server/postgres) ${CPU_RUNS[$c]}; median ${CPU_MEDIAN[$c]}"
    done
fi

log ""
log "## (c) full DORA latency at $LAT_RATE/s (loadgen, relayed, DISCOVER sent -> ACK received)"
# loadgen_bg RATE CLIENTS MAC_BASE LOCAL SERVER OUT: in the client namespace on CPU 1, in the
# background (PID added to GEN_PIDS).
loadgen_bg() {
    timeout $((STEP_SECONDS + 30)) ip netns exec "$NS_C" taskset -c 1 "$LOADGEN" \
        --server "$5" --local "$4" --rate "$1" --seconds "$STEP_SECONDS" --clients "$2" \
        --mac-base "$3" >"$6" 2>&1 &
    GEN_PIDS+=("$!")
}
declare -A LAT
for c in $CONFIGS; do
    start_config "$c"
    if is_pair "$c"; then
        half=$((LAT_RATE / 2))
        loadgen_bg "$half" $((CLIENTS / 2)) 1 "$CLI_A" "$SRV_A" "$WORK/loadgen-$c-a.txt"
        loadgen_bg $((LAT_RATE - half)) $((CLIENTS - CLIENTS / 2)) $((1 + CLIENTS)) "$CLI_B" "$SRV_B" \
            "$WORK/loadgen-$c-b.txt"
        wait_gens
        stop_servers
        log "$c server a: $(cat "$WORK/loadgen-$c-a.txt")"
        log "$c server b: $(cat "$WORK/loadgen-$c-b.txt")"
        LAT[$c]=$(cat "$WORK/loadgen-$c-a.txt" "$WORK/loadgen-$c-b.txt" | awk '
            { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "p50_us" && kv[2] > p50) p50 = kv[2]
                                                          if (kv[1] == "p99_us" && kv[2] > p99) p99 = kv[2] } }
            END { print p50 + 0, p99 + 0 }')
    else
        loadgen_bg "$LAT_RATE" "$CLIENTS" 1 "$CLI_A" "$SRV_A" "$WORK/loadgen-$c.txt"
        wait_gens
        stop_servers
        log "$c: $(cat "$WORK/loadgen-$c.txt")"
        LAT[$c]=$(sed -n 's/.* p50_us=\([0-9]*\).* p99_us=\([0-9]*\).*/\1 \2/p' "$WORK/loadgen-$c.txt")
    fi
done

log ""
log "## Summary"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.2f", a / b; else print "n/a" }'; }
log "config  max_exch/s(<1%)  vs_kea  vs_kea-mt  cpu_s/exch@${ALL_OK:-none}(total/server/pg)  p50_us  p99_us(@${LAT_RATE}/s)"
for c in $CONFIGS; do
    read -r p50 p99 <<<"${LAT[$c]:-? ?}"
    log "$(printf '%-7s %16s  %6s  %9s  %-40s %7s %7s' "$c" "${MAX_XPS[$c]}" \
        "$(ratio "${MAX_XPS[$c]}" "${MAX_XPS[kea]:-0}")" "$(ratio "${MAX_XPS[$c]}" "${MAX_XPS[kea-mt]:-0}")" \
        "${CPU_MEDIAN[$c]:-n/a}" "$p50" "$p99")"
done
log "(lh2, lh2s: sums of their two servers; latency is the larger p50 and p99 of the two loadgens)"
log "targets: lh1 >= 3x kea's rate: $(ratio "${MAX_XPS[lh1]:-0}" "${MAX_XPS[kea]:-0}")x; lh2 faster than lh1: ${MAX_XPS[lh2]:-n/a} vs ${MAX_XPS[lh1]:-n/a}"
log "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg); duration $(( $(date +%s) - START )) s (after the build)"
log "results: $RESULTS"
