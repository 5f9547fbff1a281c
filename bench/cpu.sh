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
# EXTRA_SERVER_TOML (lines appended to the [server] table, e.g. "commit_delay_us = 0"),
# RMEM_DEFAULT (4194304; the default socket receive buffer during the run, see bench/lib.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RATES=${RATES:-"1000"}
STEP_SECONDS=${STEP_SECONDS:-10}
CLIENTS=${CLIENTS:-100000}
WORK=${WORK:-/var/tmp/lhb-cpu.$$}
TARGET=${CARGO_TARGET_DIR:-/tmp/target-bench}
SKIP_BUILD=${SKIP_BUILD:-0}
EXTRA_SERVER_TOML=${EXTRA_SERVER_TOML:-}

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$ROOT/bench/lib.sh"
bench_init lhc
bench_preflight ip taskset perfdhcp ss awk
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
if [ "$SKIP_BUILD" != 1 ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release -q -p leasehold --bin leasehold)
fi
LEASEHOLD=$TARGET/release/leasehold
[ -x "$LEASEHOLD" ] || die "missing $LEASEHOLD"

bench_socket_buffers
bench_topology
write_leasehold_toml "$EXTRA_SERVER_TOML"

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
echo "load avg at start: $(cut -d' ' -f1-3 /proc/loadavg); step ${STEP_SECONDS}s; rmem_default $(sysctl -n net.core.rmem_default); extra: ${EXTRA_SERVER_TOML:-none}"
for rate in $RATES; do
    launch_server leasehold
    wait_server_bound leasehold || true   # measured even if it is not listening after 10 s
    thread_ticks > "$WORK/threads-before"
    before=$(cpu_ticks)
    srv_err0=$(udp_rcvbuf_errors "$NS_S"); cli_err0=$(udp_rcvbuf_errors "$NS_C")
    out=$WORK/perfdhcp-$rate.txt
    run_perfdhcp "$rate" "$out"
    thread_ticks > "$WORK/threads-after"
    after=$(cpu_ticks)
    srv_err=$(($(udp_rcvbuf_errors "$NS_S") - srv_err0)); cli_err=$(($(udp_rcvbuf_errors "$NS_C") - cli_err0))
    stop_server
    acks=$(awk '/^received packets:/ { r[++n] = $3 } END { print r[2] + 0 }' "$out")
    discovers=$(awk '/^sent packets:/ { s[++n] = $3 } END { print s[1] + 0 }' "$out")
    ra=$(awk '/^avg delay: [0-9.]+ ms/ { d[++n] = $3 } END { print (d[2] == "" ? "n/a" : d[2]) }' "$out")
    join -a 2 -e 0 -o 2.1,1.2,2.2 "$WORK/threads-before" "$WORK/threads-after" |
        awk -v a="$acks" -v d="$discovers" -v hz="$HZ" -v r="$rate" -v ra="$ra" \
            -v total=$((after - before)) -v se="$srv_err" -v ce="$cli_err" '
            BEGIN { total /= hz }
            { per[$1] = ($3 - $2) / hz }
            END {
                printf "rate %d: acks %d/%d (drop %.2f%%), RA avg %s ms, cpu_s/exchange %.3e |", r, a, d,
                    (d > 0 ? 100 * (d - a) / d : 100), ra, (a > 0 ? total / a : 0)
                for (n in per) if (per[n] > 0) printf " %s=%.2e", n, (a > 0 ? per[n] / a : 0)
                printf " | rcvbuf drops: server %d, client %d\n", se, ce }'
done
echo "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
