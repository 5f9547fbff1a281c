#!/usr/bin/env bash
# TFTP throughput: Leasehold's built-in TFTP server vs tftp-hpa's in.tftpd, one command, one run,
# same link, same file, same clients (issue 15, "Benchmark").
#
#   sudo bench/tftp.sh                    # defaults: about 4 minutes after the build
#   sudo SKIP_BUILD=1 REPEATS=5 bench/tftp.sh
#
# Topology: two network namespaces created here (server and client) joined by one veth pair,
# 198.18.90.1/24 (server) and 198.18.90.2/24 (client); nothing is added to the root namespace.
# Namespaces, processes, the two cgroups and the data directory are removed on exit, also on
# failure or Ctrl-C (a SIGTERM to the script alone takes effect when the running measurement
# ends, bounded by CLIENT_TIMEOUT). Results and logs stay in $WORK.
#
# Servers, one after the other in each round (the first alternates between rounds), both on UDP
# port 69 in the server namespace, both pinned to CPU 0 (the clients to CPU 1):
#   - Leasehold, release build, `leasehold serve` with a [tftp] table (DHCP on the unused ports
#     10067/10068 of 198.18.90.1), max_blksize 1468, max_windowsize 16, max_transfers 64 and
#     max_transfers_per_client 64: all benchmark clients share one address (atftp cannot choose
#     its source address), and the default of 4 per client would refuse 46 of the 50.
#   - tftp-hpa `in.tftpd -L -s ROOT -a 198.18.90.1:69` (foreground, started and stopped here by
#     PID; the system service is not used). It forks one process per transfer and has no
#     concurrency limit. tftp-hpa 5.2 does not implement windowsize (RFC 7440): it leaves the
#     option out of its OACK and the client falls back to a window of 1. The run prints each
#     server's OACK to a windowsize-16 request, so its "windowsize 16" rows are really 1.
#
# Data: a SIZE_MIB (64) MiB file from /dev/urandom, and for the concurrent case its first
# CONC_SIZE_MIB (16) MiB, in a tmpfs directory ($DATA, so neither the server's reads nor the
# clients' writes wait for a disk). Every download is checked against the file's SHA-256; a wrong
# or missing file, or a client that fails or times out, ends the run with an error (no figure).
#
# Measurements, each REPEATS (3) times per server, the median reported:
#   (1) one atftp client, SIZE_MIB file, blksize 1468, windowsize 1
#   (2) the same with windowsize 16
#   (3) one curl client (`--tftp-blksize 1468`; curl has no windowsize), as a second client
#       implementation (CURL=0 leaves it out)
#   (4) CONC_CLIENTS (50) atftp clients started together, each fetching the CONC_SIZE_MIB file,
#       blksize 1468, for each windowsize in CONC_WINDOWSIZES ("1 16"): aggregate MB/s (all
#       bytes / time from the first start to the last end) and the slowest client's seconds.
# MB = 10^6 bytes. Server CPU seconds: the server runs in a cgroup of its own (cgroup v1
# cpuacct, or v2 cpu.stat), read before and after each measurement, so tftp-hpa's forked
# per-transfer processes are counted too (the listener's /proc/PID/stat misses them: its
# cutime/cstime stayed 0 after transfers here). On a veth link the kernel also delivers the packets a
# process sends in its own context, so both servers' CPU includes the receive path of their
# datagrams into the client namespace (the same work for both).
#
# Tunables (environment): REPEATS (3), SIZE_MIB (64), CONC_SIZE_MIB (16), CONC_CLIENTS (50),
# CONC_WINDOWSIZES ("1 16"), BLKSIZE (1468), CURL (1), CLIENT_TIMEOUT (seconds per client, 300),
# WORK (/var/tmp/lht-bench.PID: results, logs), DATA (/dev/shm/lht-data.PID: files, removed),
# SKIP_BUILD (0), CARGO_TARGET_DIR (the workspace's target/), LEASEHOLD (the binary; default
# $CARGO_TARGET_DIR/release/leasehold; set it, with SKIP_BUILD=1, to measure a binary built
# elsewhere, e.g. from a clean `git archive` of a commit: the commit printed is then this
# checkout's, not necessarily the binary's).
# Before the start and before each server's round (with nothing of the benchmark running) the
# run prints how idle the CPUs were over 2 s: another benchmark or a build running at the same
# time makes the figures worthless (load averages would mostly count the benchmark's own 50
# clients). $WORK/raw.txt has every measurement, with the clients' CPU seconds too (their cgroup).
# Needs: root, 2 CPUs, ip, taskset, ss, atftp (0.8, for windowsize), in.tftpd (tftpd-hpa),
# curl (with CURL=1), sha256sum, timeout; Debian: apt-get install tftpd-hpa atftp curl. On a
# system with an init, installing tftpd-hpa starts its service on port 69 of the root namespace:
# stop it (`systemctl stop tftpd-hpa`), or install with a policy-rc.d that denies the start.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPEATS=${REPEATS:-3}
SIZE_MIB=${SIZE_MIB:-64}
CONC_SIZE_MIB=${CONC_SIZE_MIB:-16}
CONC_CLIENTS=${CONC_CLIENTS:-50}
CONC_WINDOWSIZES=${CONC_WINDOWSIZES:-"1 16"}
BLKSIZE=${BLKSIZE:-1468}
CURL=${CURL:-1}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-300}
WORK=${WORK:-/var/tmp/lht-bench.$$}
DATA=${DATA:-/dev/shm/lht-data.$$}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SKIP_BUILD=${SKIP_BUILD:-0}

NS_S=lht-srv-$$
NS_C=lht-cli-$$
IF_S=lhts$$
IF_C=lhtc$$
SRV_ADDR=198.18.90.1
CLI_ADDR=198.18.90.2
PORT=69
SERVERS="leasehold tftp-hpa"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$ROOT/bench/lib.sh"   # die, stop_pid, stop_server (SERVER_PID)
SERVER_PID=""
CG=""    # the server's cgroup
CGC=""   # the clients' cgroup
DATA_CREATED=0

number() { case "$2" in ''|*[!0-9]*) die "$1 must be a number";; esac; }
number REPEATS "$REPEATS"; number SIZE_MIB "$SIZE_MIB"; number CONC_SIZE_MIB "$CONC_SIZE_MIB"
number CONC_CLIENTS "$CONC_CLIENTS"; number BLKSIZE "$BLKSIZE"; number CLIENT_TIMEOUT "$CLIENT_TIMEOUT"
for ws in $CONC_WINDOWSIZES; do number CONC_WINDOWSIZES "$ws"; done
if [ "$REPEATS" -lt 1 ] || [ "$CONC_CLIENTS" -lt 1 ] || [ "$CONC_CLIENTS" -gt 64 ]; then
    die "REPEATS >= 1 and 1 <= CONC_CLIENTS <= 64 (Leasehold's max_transfers here)"
fi
[ "$CONC_SIZE_MIB" -le "$SIZE_MIB" ] || die "CONC_SIZE_MIB must not exceed SIZE_MIB"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, cgroup, port 69)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (servers on CPU 0, clients on CPU 1)"
tools="ip taskset ss atftp in.tftpd sha256sum timeout awk"
[ "$CURL" = 1 ] && tools="$tools curl"
for tool in $tools; do command -v "$tool" >/dev/null || die "missing $tool"; done

# ---------------------------------------------------------------------------------------------
# Clean-up: only what this script started and created.
cleanup() {
    local rc=$?
    stop_server
    local g
    for g in "$CG" "$CGC"; do
        if [ -z "$g" ] || [ ! -d "$g" ]; then continue; fi
        # tftp-hpa's per-transfer processes end with their transfers, clients with their
        # time-out; wait (bounded) for the cgroup to empty before removing it.
        for _ in $(seq 1 50); do rmdir "$g" 2>/dev/null && break; sleep 0.1; done
        [ ! -d "$g" ] || echo "${0##*/}: could not remove cgroup $g" >&2
    done
    ip netns del "$NS_S" 2>/dev/null || true
    ip netns del "$NS_C" 2>/dev/null || true
    if [ "$DATA_CREATED" = 1 ]; then rm -rf -- "$DATA"; fi
    [ $rc -eq 0 ] || echo "${0##*/}: failed (exit $rc); logs and partial results in $WORK" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
[ ! -e "$DATA" ] || die "$DATA exists; set DATA to a new directory"
mkdir -p "$DATA/root" "$DATA/dl"
DATA_CREATED=1
RESULTS=$WORK/results.txt
RAW=$WORK/raw.txt
: > "$RESULTS"
echo "# server case MB/s server-CPU-s seconds client-CPU-s" > "$RAW"
log() { echo "$*" | tee -a "$RESULTS"; }

# ---------------------------------------------------------------------------------------------
# CPU accounting: a cgroup for the server under test and one for the clients (v1 cpuacct,
# else v2). cg_usage_ns CGROUP: its CPU time so far, in ns.
if [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
    CG=/sys/fs/cgroup/cpuacct/lht-srv-$$
    CGC=/sys/fs/cgroup/cpuacct/lht-cli-$$
    cg_usage_ns() { cat "$1/cpuacct.usage"; }
else
    cg2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
    [ -n "$cg2" ] || die "no cgroup v1 cpuacct and no cgroup v2 mount: cannot count server CPU"
    CG=$cg2/lht-srv-$$
    CGC=$cg2/lht-cli-$$
    cg_usage_ns() { awk '$1 == "usage_usec" {printf "%d\n", $2 * 1000}' "$1/cpu.stat"; }
fi
mkdir "$CG" "$CGC"
# sample: "server-ns client-ns" now.
sample() { echo "$(cg_usage_ns "$CG") $(cg_usage_ns "$CGC")"; }
# report SERVER CASE BYTES WALL_NS SECONDS_SHOWN_NS BEFORE AFTER: appends "SERVER CASE MB/s
# server-CPU-s seconds client-CPU-s" to $RAW.
report() {
    echo "$1 $2 $3 $4 $5 $6 $7" | awk '{
        printf "%s %s %.1f %.3f %.3f %.3f\n", $1, $2, $3 / ($4 / 1e9) / 1e6, ($8 - $6) / 1e9,
            $5 / 1e9, ($9 - $7) / 1e9 }' | tee -a "$RAW"
}

# ---------------------------------------------------------------------------------------------
# Build, data, topology.
if [ "$SKIP_BUILD" != 1 ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release -q -p leasehold --bin leasehold)
fi
LEASEHOLD=${LEASEHOLD:-$TARGET/release/leasehold}
[ -x "$LEASEHOLD" ] || die "missing $LEASEHOLD (build it or unset SKIP_BUILD)"

head -c $((SIZE_MIB << 20)) /dev/urandom > "$DATA/root/big"
head -c $((CONC_SIZE_MIB << 20)) "$DATA/root/big" > "$DATA/root/conc"
head -c 65536 "$DATA/root/big" > "$DATA/root/probe"
SUM_BIG=$(sha256sum < "$DATA/root/big" | awk '{print $1}')
SUM_CONC=$(sha256sum < "$DATA/root/conc" | awk '{print $1}')
chmod 755 "$DATA" "$DATA/root"
chmod 644 "$DATA/root"/*   # in.tftpd serves as user nobody

ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$IF_S" type veth peer name "$IF_C"
ip link set "$IF_S" netns "$NS_S"
ip link set "$IF_C" netns "$NS_C"
ip -n "$NS_S" addr add "$SRV_ADDR/24" dev "$IF_S"
ip -n "$NS_C" addr add "$CLI_ADDR/24" dev "$IF_C"
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set "$IF_S" up
ip -n "$NS_C" link set "$IF_C" up

cat > "$DATA/leasehold.toml" <<EOF
# DHCP is required by the configuration but unused here: unprivileged ports, no clients.
[server]
listen_address = "$SRV_ADDR"
server_port = 10067
client_port = 10068
lease_time = 3600

[[subnet]]
subnet = "198.18.90.0/24"

[[subnet.pool]]
range = "198.18.90.100-198.18.90.199"

[tftp]
root = "$DATA/root"
listen = "$SRV_ADDR:$PORT"
max_blksize = 1468
max_windowsize = 16
max_transfers = 64
# All clients share one address (see the header): the default of 4 would refuse most of them.
max_transfers_per_client = 64
EOF

# ---------------------------------------------------------------------------------------------
# Servers.
# launch NAME: starts the server in the server namespace on CPU 0, inside the cgroup; sets
# SERVER_PID (the subshell execs down to the server, so it is the server's PID).
launch() {
    case $1 in
        leasehold)
            (
                echo "$BASHPID" > "$CG/cgroup.procs"
                export RUST_LOG=warn,leasehold_bootfiles=info
                exec ip netns exec "$NS_S" taskset -c 0 "$LEASEHOLD" serve \
                    --config "$DATA/leasehold.toml" --db "$DATA/leasehold.db"
            ) >>"$WORK/leasehold.out" 2>&1 &
            ;;
        tftp-hpa)
            (
                echo "$BASHPID" > "$CG/cgroup.procs"
                exec ip netns exec "$NS_S" taskset -c 0 in.tftpd -L -s "$DATA/root" \
                    -a "$SRV_ADDR:$PORT"
            ) >>"$WORK/tftp-hpa.out" 2>&1 &
            ;;
    esac
    SERVER_PID=$!
}

# start_server NAME: launch, then wait (at most 10 s) until it listens on UDP $PORT.
start_server() {
    launch "$1"
    for _ in $(seq 1 100); do
        if ip netns exec "$NS_S" ss -Hulnp "sport = :$PORT" 2>/dev/null | grep -q "pid=$SERVER_PID,"; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || die "$1 exited at start-up (see $WORK/$1.out)"
        sleep 0.1
    done
    die "$1 did not bind UDP $PORT within 10 s"
}

# ---------------------------------------------------------------------------------------------
# Clients (client namespace, CPU 1, each bounded by CLIENT_TIMEOUT).
# fetch TOOL WINDOWSIZE REMOTE LOCAL: one download (in the clients' cgroup); its exit status.
fetch() {
    echo "$BASHPID" > "$CGC/cgroup.procs"
    case $1 in
        atftp)
            timeout "$CLIENT_TIMEOUT" ip netns exec "$NS_C" taskset -c 1 atftp \
                --option "blksize $BLKSIZE" --option "windowsize $2" \
                -g -r "$3" -l "$4" "$SRV_ADDR" "$PORT" >>"$WORK/clients.out" 2>&1
            ;;
        curl)
            timeout "$CLIENT_TIMEOUT" ip netns exec "$NS_C" taskset -c 1 curl -sS \
                --tftp-blksize "$BLKSIZE" -o "$4" "tftp://$SRV_ADDR:$PORT/$3" \
                >>"$WORK/clients.out" 2>&1
            ;;
    esac
}

# check FILE SUM WHAT: dies unless FILE has SHA-256 SUM.
check() {
    [ -f "$1" ] || die "$3: no file downloaded"
    [ "$(sha256sum < "$1" | awk '{print $1}')" = "$2" ] || die "$3: checksum mismatch ($1)"
}

now_ns() { date +%s%N; }

# measure_single SERVER CASE TOOL WINDOWSIZE: one download of the big file; report.
measure_single() {
    local out=$DATA/dl/single s0 s1 t0 t1 rc=0
    rm -f "$out"
    s0=$(sample); t0=$(now_ns)
    (fetch "$3" "$4" big "$out") || rc=$?
    t1=$(now_ns); s1=$(sample)
    [ $rc -eq 0 ] || die "$1 $2: client exited with $rc (see $WORK/clients.out)"
    check "$out" "$SUM_BIG" "$1 $2"
    rm -f "$out"
    report "$1" "$2" $((SIZE_MIB << 20)) $((t1 - t0)) $((t1 - t0)) "$s0" "$s1"
}

# measure_conc SERVER CASE WINDOWSIZE: CONC_CLIENTS atftp downloads of the small file, started
# together; report (MB/s aggregate; seconds: the slowest client's).
measure_conc() {
    local i s0 s1 t0 t1 rc pids=() slowest
    rm -f "$DATA/dl"/c.* "$DATA/dl"/t.*
    s0=$(sample); t0=$(now_ns)
    for i in $(seq 1 "$CONC_CLIENTS"); do
        (
            s=$(now_ns); rc=0
            fetch atftp "$3" conc "$DATA/dl/c.$i" || rc=$?
            echo "$rc $(( $(now_ns) - s ))" > "$DATA/dl/t.$i"
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    t1=$(now_ns); s1=$(sample)
    for i in $(seq 1 "$CONC_CLIENTS"); do
        [ -f "$DATA/dl/t.$i" ] || die "$1 $2: client $i left no result"
        read -r rc _ < "$DATA/dl/t.$i"
        [ "$rc" -eq 0 ] || die "$1 $2: client $i exited with $rc (see $WORK/clients.out)"
        check "$DATA/dl/c.$i" "$SUM_CONC" "$1 $2 client $i"
    done
    slowest=$(cat "$DATA/dl"/t.* | awk '$2 > m { m = $2 } END { print m }')
    rm -f "$DATA/dl"/c.* "$DATA/dl"/t.*
    report "$1" "$2" $(( (CONC_SIZE_MIB << 20) * CONC_CLIENTS )) $((t1 - t0)) "$slowest" "$s0" "$s1"
}

# probe SERVER: the OACK the server sends for blksize and windowsize 16 (tftp-hpa drops the
# windowsize it does not implement).
probe() {
    local oack
    timeout 20 ip netns exec "$NS_C" atftp --trace --option "blksize $BLKSIZE" \
        --option "windowsize 16" -g -r probe -l "$DATA/dl/probe" "$SRV_ADDR" "$PORT" \
        > "$WORK/probe-$1.out" 2>&1 || die "$1 probe: client failed (see $WORK/probe-$1.out)"
    oack=$(grep -m1 'received OACK' "$WORK/probe-$1.out" || true)
    check "$DATA/dl/probe" "$(sha256sum < "$DATA/root/probe" | awk '{print $1}')" "$1 probe"
    rm -f "$DATA/dl/probe"
    log "$1 answers blksize $BLKSIZE + windowsize 16 with: ${oack:-no OACK}"
}

# ---------------------------------------------------------------------------------------------
CASES="ws1 ws16"
[ "$CURL" = 1 ] && CASES="$CASES curl"
for ws in $CONC_WINDOWSIZES; do CASES="$CASES c$CONC_CLIENTS-ws$ws"; done

run_cases() {
    local c
    for c in $CASES; do
        case $c in
            ws*) measure_single "$1" "$c" atftp "${c#ws}" ;;
            curl) measure_single "$1" "$c" curl 1 ;;
            c*) measure_conc "$1" "$c" "${c#*-ws}" ;;
        esac
    done
}

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain -- crates 2>/dev/null | wc -l)
log "date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT ($DIRTY uncommitted paths under crates/)"
log "machine: nproc=$(nproc) cpu=\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\" kernel=$(uname -r)"
log "clients: $(atftp --version 2>&1 | head -1); $(curl --version | head -1 | cut -d' ' -f1-2)"
log "tftp-hpa: $(dpkg-query -W -f='${Package} ${Version}' tftpd-hpa 2>/dev/null || in.tftpd -V 2>&1 | head -1)"
log "files: ${SIZE_MIB} MiB (single client), ${CONC_SIZE_MIB} MiB each for $CONC_CLIENTS concurrent clients; blksize $BLKSIZE; $REPEATS repeats"
log "leasehold binary: $LEASEHOLD (modified $(date -u -r "$LEASEHOLD" '+%Y-%m-%d %H:%M UTC'))"
# idle_percent: share of CPU time (all CPUs) spent idle over 2 s, from /proc/stat.
idle_percent() {
    local a b
    a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    sleep 2
    b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    echo "$a $b" | awk '{ printf "%.0f", 100 * ($3 - $1) / ($4 - $2) }'
}
IDLE=$(idle_percent)
log "before the start: CPUs $IDLE % idle over 2 s; load $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$IDLE" -ge 80 ] || echo "${0##*/}: warning: the machine is busy (${IDLE} % idle); figures will be noisy" | tee -a "$RESULTS"

IDLES=$IDLE
for r in $(seq 1 "$REPEATS"); do
    order=$SERVERS
    [ $((r % 2)) -eq 0 ] && order=$(echo "$SERVERS" | awk '{print $2, $1}')
    for s in $order; do
        idle=$(idle_percent)
        IDLES="$IDLES $idle"
        log "round $r: $s (CPUs $idle % idle over the 2 s before)"
        start_server "$s"
        [ "$r" -eq 1 ] && probe "$s"
        run_cases "$s" | sed "s/^/  /" | tee -a "$RESULTS"
        stop_server
    done
done
log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
retrans=$(grep -o 'retransmissions=[0-9]*' "$WORK/leasehold.out" | awk -F= '{ n += $2 } END { print n + 0 }')
log "Leasehold retransmissions over all its transfers: $retrans (tftp-hpa logs none without syslog)"

# ---------------------------------------------------------------------------------------------
# Medians and the table.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# col SERVER CASE FIELD FORMAT: the median of one field of $RAW, printf-formatted.
col() {
    awk -v s="$1" -v c="$2" -v k="$3" '$1 == s && $2 == c { print $k }' "$RAW" | median \
        | awk -v f="$4" '{ printf f, $1 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

label() {
    case $1 in
        ws1) echo "1 client, ${SIZE_MIB} MiB, windowsize 1 (atftp)" ;;
        ws16) echo "1 client, ${SIZE_MIB} MiB, windowsize 16 (atftp; tftp-hpa: 1)" ;;
        curl) echo "1 client, ${SIZE_MIB} MiB, curl (no windowsize)" ;;
        c*-ws1) echo "$CONC_CLIENTS clients × ${CONC_SIZE_MIB} MiB, windowsize 1, aggregate" ;;
        c*) echo "$CONC_CLIENTS clients × ${CONC_SIZE_MIB} MiB, windowsize ${1#*-ws} (tftp-hpa: 1), aggregate" ;;
    esac
}

{
    echo
    echo "Medians of $REPEATS runs; MB/s = 10^6 bytes/s; CPU = server CPU seconds per measurement (cgroup); blksize $BLKSIZE;"
    echo "Leasehold with max_transfers_per_client = 64 (all clients share one address); tftp-hpa has no windowsize (its OACK drops it)."
    echo "CPUs idle before the start and each round (%):$(echo " $IDLES" | tr -s ' ' | sed 's/ /, /g; s/^,//')."
    echo
    echo "| case | Leasehold MB/s | tftp-hpa MB/s | speed L/h | Leasehold CPU s | tftp-hpa CPU s | CPU L/h | slowest client s (L / h) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
    for c in $CASES; do
        lm=$(col leasehold "$c" 3 %.1f); hm=$(col tftp-hpa "$c" 3 %.1f)
        lc=$(col leasehold "$c" 4 %.3f); hc=$(col tftp-hpa "$c" 4 %.3f)
        lt=$(col leasehold "$c" 5 %.2f); ht=$(col tftp-hpa "$c" 5 %.2f)
        echo "| $(label "$c") | $lm | $hm | $(ratio "$lm" "$hm") | $lc | $hc | $(ratio "$lc" "$hc") | $lt / $ht |"
    done
} | tee -a "$RESULTS"
echo "results: $RESULTS (raw runs: $RAW)"
