#!/usr/bin/env bash
# Leasehold alone: CPU seconds per full DORA exchange, total and per thread, at fixed rates.
#
#   sudo bench/cpu.sh                 # RATES="1000", STEP_SECONDS=10, release build
#
# A quicker companion of bench/run.sh for iterating on the server's CPU cost: same topology
# (two network namespaces created here, one veth pair, 198.18.0.0/15 only), same server
# configuration and pinning (server on CPU 0, perfdhcp on CPU 1), a fresh server with an empty
# lease database on the real disk for every step. CPU time is utime+stime from /proc (process and
# each thread), which background load distorts much less than wall-clock throughput.
#
# Tunables (environment): RATES ("1000"), STEP_SECONDS (10), CLIENTS (100000),
# WORK (/var/tmp/lhb-cpu.PID), CARGO_TARGET_DIR (/tmp/target-bench), SKIP_BUILD (0),
# EXTRA_SERVER_TOML (lines appended to the [server] table, e.g. "commit_delay_us = 0").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RATES=${RATES:-"1000"}
STEP_SECONDS=${STEP_SECONDS:-10}
CLIENTS=${CLIENTS:-100000}
WORK=${WORK:-/var/tmp/lhb-cpu.$$}
TARGET=${CARGO_TARGET_DIR:-/tmp/target-bench}
SKIP_BUILD=${SKIP_BUILD:-0}
EXTRA_SERVER_TOML=${EXTRA_SERVER_TOML:-}

NS_S=lhc-srv-$$
NS_C=lhc-cli-$$
IF_S=lhcs$$
IF_C=lhcc$$
SRV_ADDR=198.18.0.1
CLI_ADDR=198.18.0.2
HZ=$(getconf CLK_TCK)
SERVER_PID=""

die() { echo "cpu.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, port 67)"
for tool in ip taskset perfdhcp ss awk; do
    command -v "$tool" >/dev/null || die "missing $tool"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (server on CPU 0, load generator on CPU 1)"
case "$STEP_SECONDS" in ''|*[!0-9]*) die "STEP_SECONDS must be a number";; esac

stop_server() {
    local pid=$SERVER_PID
    [ -n "$pid" ] || return 0
    SERVER_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    stop_server
    ip netns del "$NS_S" 2>/dev/null || true
    ip netns del "$NS_C" 2>/dev/null || true
    rm -f "$WORK"/*.db "$WORK"/*.db-wal "$WORK"/*.db-shm "$WORK"/*.lock 2>/dev/null || true
    [ $rc -eq 0 ] || echo "cpu.sh: failed (exit $rc); partial results in $WORK" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
if [ "$SKIP_BUILD" != 1 ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release -q -p leasehold --bin leasehold)
fi
LEASEHOLD=$TARGET/release/leasehold
[ -x "$LEASEHOLD" ] || die "missing $LEASEHOLD"

ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$IF_S" type veth peer name "$IF_C"
ip link set "$IF_S" netns "$NS_S"
ip link set "$IF_C" netns "$NS_C"
ip -n "$NS_S" addr add "$SRV_ADDR/15" dev "$IF_S"
ip -n "$NS_C" addr add "$CLI_ADDR/15" dev "$IF_C"
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set "$IF_S" up
ip -n "$NS_C" link set "$IF_C" up

cat > "$WORK/leasehold.toml" <<EOF
[server]
interfaces = ["$IF_S"]
server_port = 67
client_port = 68
lease_time = 3600
$EXTRA_SERVER_TOML

# The load generators are one relay agent standing for 100,000 clients: the guard's per-relay
# rate limit (default 500 packets/s) would throttle them, so it is off here (the per-client
# and per-circuit limits stay on).
[security]
relay_rate = 0

[[subnet]]
subnet = "198.18.0.0/15"

[[subnet.pool]]
range = "198.18.16.0-198.19.255.254"
EOF

# "name ticks" for every thread of the server.
thread_ticks() {
    for t in /proc/"$SERVER_PID"/task/*; do
        # comm may contain spaces; fields after the closing parenthesis are fixed.
        awk '{ s = $0; sub(/^[0-9]+ \(/, "", s); name = substr(s, 1, index(s, ")") - 1);
               sub(/^.*\) /, "", s); split(s, f, " "); gsub(/ /, "_", name);
               print name, f[12] + f[13] }' "$t/stat" 2>/dev/null || true
    done | awk '{ t[$1] += $2 } END { for (n in t) print n, t[n] }' | sort
}

echo "# Leasehold CPU per exchange, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "load avg at start: $(cut -d' ' -f1-3 /proc/loadavg); step ${STEP_SECONDS}s; extra: ${EXTRA_SERVER_TOML:-none}"
for rate in $RATES; do
    rm -f "$WORK"/*.db "$WORK"/*.db-wal "$WORK"/*.db-shm 2>/dev/null || true
    RUST_LOG=warn ip netns exec "$NS_S" taskset -c 0 "$LEASEHOLD" serve \
        --config "$WORK/leasehold.toml" --db "$WORK/leasehold.db" >>"$WORK/leasehold.out" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        ip netns exec "$NS_S" ss -Hulnp 'sport = :67' 2>/dev/null | grep -q "pid=$SERVER_PID," && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "leasehold exited at start-up (see $WORK/leasehold.out)"
        sleep 0.1
    done
    thread_ticks > "$WORK/threads-before"
    before=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    out=$WORK/perfdhcp-$rate.txt
    timeout $((STEP_SECONDS + 30)) ip netns exec "$NS_C" taskset -c 1 \
        perfdhcp -4 -r "$rate" -R "$CLIENTS" -p "$STEP_SECONDS" -W 1000000 -l "$CLI_ADDR" "$SRV_ADDR" \
        >"$out" 2>&1 || true
    thread_ticks > "$WORK/threads-after"
    after=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    stop_server
    acks=$(awk '/^received packets:/ { r[++n] = $3 } END { print r[2] + 0 }' "$out")
    discovers=$(awk '/^sent packets:/ { s[++n] = $3 } END { print s[1] + 0 }' "$out")
    ra=$(awk '/^avg delay: [0-9.]+ ms/ { d[++n] = $3 } END { print (d[2] == "" ? "n/a" : d[2]) }' "$out")
    join -a 2 -e 0 -o 2.1,1.2,2.2 "$WORK/threads-before" "$WORK/threads-after" |
        awk -v a="$acks" -v d="$discovers" -v hz="$HZ" -v r="$rate" -v ra="$ra" \
            -v total=$(((after - before))) '
            BEGIN { total /= hz }
            { per[$1] = ($3 - $2) / hz }
            END {
                printf "rate %d: acks %d/%d (drop %.2f%%), RA avg %s ms, cpu_s/exchange %.3e |", r, a, d,
                    (d > 0 ? 100 * (d - a) / d : 100), ra, (a > 0 ? total / a : 0)
                for (n in per) if (per[n] > 0) printf " %s=%.2e", n, (a > 0 ? per[n] / a : 0)
                printf "\n" }'
done
echo "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
