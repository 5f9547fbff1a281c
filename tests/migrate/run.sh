#!/usr/bin/env bash
# Switch-over test with real servers and real clients (issue 16): for each source server in turn
# (ISC dhcpd, Kea kea-dhcp4 with memfile, dnsmasq), inside network namespaces this script creates
# (addresses only from 198.18.96.0/24 .. 198.18.98.0/24) and removes on exit:
#
#   1. the source server starts with a configuration written here (a pool, a reservation by MAC,
#      one by client id, a few options, 120 s leases with T1 = 20 s);
#   2. dhclient and udhcpc clients and the two reserved hosts get leases from it;
#   3. the source server stops (by PID);
#   4. `leasehold import SOURCE` reads its live configuration and lease file, then
#      `leasehold check-config` checks the result;
#   5. Leasehold starts on the same interface with that configuration and database;
#   6. every client renews (dhclient at T1, udhcpc on SIGUSR1: a RENEWING unicast REQUEST) and
#      must be ACKed with the same address (no NAK, no DISCOVER), the reserved hosts keep their
#      addresses, and new clients get addresses that no imported lease holds.
#
#   sudo tests/migrate/run.sh                          # all three sources, target/debug/leasehold
#   sudo SOURCES="kea dnsmasq" tests/migrate/run.sh    # some of them
#   sudo LEASEHOLD=/path/to/leasehold KEEP=1 tests/migrate/run.sh
#
# Prints `PASS <source> <check>` / `FAIL <source> <check> — why`, `FIGURE <source> ...` (durations),
# then `N passed, M failed`; exits non-zero on any failure or missing prerequisite.
# See tests/migrate/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LEASEHOLD=${LEASEHOLD:-$ROOT/target/debug/leasehold}
SOURCES=${SOURCES:-dhcpd kea dnsmasq}
KEEP=${KEEP:-0}            # 1: keep the work directory (configs, lease files, logs, captures)
IMPORT_LEASES=${IMPORT_LEASES:-1}  # 0: negative control, import the configuration only (as keama
                                   # does): renewals must then fail, and so must this suite

NETNS_NAME=migrate
NETNS_SETTLE=0.5
NETNS_KEPT="configurations, lease files, logs and captures"
NETNS_KEEP_ON_FAIL=1
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$HERE/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/client_scripts.sh
. "$HERE/../lib/client_scripts.sh"

netns_require_root ": sudo $0"
need ip iproute2
need bridge iproute2
need ss iproute2
need timeout coreutils
need dhclient isc-dhcp-client
need busybox busybox
for s in $SOURCES; do
  case $s in
    dhcpd) need dhcpd isc-dhcp-server ;;
    kea) need kea-dhcp4 kea-dhcp4-server ;;
    dnsmasq) need dnsmasq dnsmasq-base ;;
    *) die "SOURCES: unknown source '$s' (dhcpd, kea, dnsmasq)" ;;
  esac
done
HAVE_TSHARK=0   # optional: the capture check (CAPTURE=0 leaves it out even when tshark is there)
[[ ${CAPTURE:-1} == 1 ]] && command -v tshark >/dev/null 2>&1 && HAVE_TSHARK=1
[[ -x $LEASEHOLD ]] || die "no Leasehold binary at $LEASEHOLD: run 'cargo build -p leasehold' or set LEASEHOLD="

TAG=$$
WORK=$(mktemp -d "/tmp/lh-migrate-$TAG.XXXX")
netns_init
# Our own copy (a hard link when possible): a `cargo build` during the run replaces the file.
ln -f "$LEASEHOLD" "$WORK/leasehold" 2>/dev/null || cp "$LEASEHOLD" "$WORK/leasehold"
LEASEHOLD_GIVEN=$LEASEHOLD
LEASEHOLD=$WORK/leasehold

# ---------------------------------------------------------------- what every source serves
LEASE_TIME=120   # dnsmasq's minimum; clients renew at T1 long before it ends
T1=20            # option 58 from the source: dhclient renews 15-20 s after binding
T2=90
DOMAIN=migrate.test
POOL_FIRST=100   # .100-.105: six addresses; a, b, c take three, so a server that forgot the
POOL_LAST=105    # imported leases hands a bound one to a new client; n1, n2 take two more and
                 # after the switch back n3 must get exactly the last one
RES_MAC=50       # reserved by MAC (r1)
RES_ID=51        # reserved by client id (r2)
RES_CLIENT_ID=00:6c:68:2d:72:32   # option 61 of r2: type 0, "lh-r2" (not derived from its MAC)

# Clients: NAME KIND [ARGS]; MACs 02:00:00:<net>:00:<suffix>.
#   a   dhclient, no client id        b  udhcpc (client id 01+MAC)   c  udhcpc -C (no client id)
#   r1  dhclient, reserved by MAC     r2 dhclient sending RES_CLIENT_ID, reserved by it
#   n1  new udhcpc after the switch   n2 new udhcpc asking for a's address
#   n3  new udhcpc asking for b's address after the switch back, before b renews
OLD_CLIENTS=(a b c r1 r2)
NEW_CLIENTS=(n1 n2)
declare -A KIND=([a]=dhclient [b]=udhcpc [c]=udhcpc [r1]=dhclient [r2]=dhclient [n1]=udhcpc [n2]=udhcpc
  [n3]=udhcpc)
declare -A SUFFIX=([a]=0a [b]=0b [c]=0c [r1]=1a [r2]=1b [n1]=2a [n2]=2b [n3]=3a)
declare -A LABEL=([a]=dhclient [b]=udhcpc [c]=udhcpc-no-client-id [r1]=reserved-by-mac
  [r2]=reserved-by-client-id [n1]=new-client [n2]=new-client-asking-bound-address
  [n3]=new-client-asking-bound-address)

# One recorded event per line: reason|ip|mask|routers|dns|lease|server-id|domain|ntp|t1
# (udhcpc does not pass option 58 to its script: its t1 field stays empty)
# shellcheck disable=SC2016 # expanded by the hook, not here
DHCLIENT_RECORD='${reason}|${new_ip_address}|${new_subnet_mask}|${new_routers}|${new_domain_name_servers}|${new_dhcp_lease_time}|${new_dhcp_server_identifier}|${new_domain_name}|${new_ntp_servers}|${new_dhcp_renewal_time}'
# shellcheck disable=SC2016
UDHCPC_RECORD='$1|${ip}|${subnet}|${router}|${dns}|${lease}|${serverid}|${domain}|${ntpsrv}|'
field() { echo "$1" | cut -d'|' -f"$2"; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- per-source state
# SRC NET PFX: the source and its network 198.18.NET.0/24; NSP: namespace prefix; D: work dir.
# PHASE_PIDS/PHASE_NS: what this source's run started, stopped by phase_teardown (also in
# PIDS/CREATED_NS, so the exit trap cleans up after a failure).
declare -A CPID ADDR BOUND_LINE RENEW_LINE EV_OFF LOG_OFF
cns() { echo "$NSP-$1"; }
mac() { echo "02:00:00:$NET:00:${SUFFIX[$1]}"; }
# Background processes are started as `ip netns exec NS CMD &` (a simple command: bash execs ip,
# which execs CMD), never through the `x` function: `x ... &` forks a bash subshell, so $! would
# be that subshell and stopping it would leave the server running.
track() { PIDS+=("$1"); PHASE_PIDS+=("$1"); }

topology() {
  NS_BR=$NSP-br
  NS_SRV=$NSP-srv
  PHASE_NS=("$NS_BR" "$NS_SRV")
  addns "$NS_BR"
  bridge_add "$NS_BR"
  addns "$NS_SRV"
  bridge_plug "$NS_BR" "$NS_SRV" veth-s p-srv "02:00:00:$NET:00:01"
  ip -n "$NS_SRV" addr add "$PFX.1/24" dev veth-s
  local c
  for c in "${OLD_CLIENTS[@]}" "${NEW_CLIENTS[@]}" n3; do
    addns "$(cns "$c")"
    PHASE_NS+=("$(cns "$c")")
    bridge_plug "$NS_BR" "$(cns "$c")" eth0 "p-$c" "$(mac "$c")"
  done
  wait_for 10 bridge_ready "$NS_BR" $((${#OLD_CLIENTS[@]} + ${#NEW_CLIENTS[@]} + 2)) ||
    die "$SRC topology: bridge ports did not reach forwarding state in 10 s"
}

phase_teardown() {
  local pid n
  for pid in "${PHASE_PIDS[@]}"; do stop "$pid"; done
  for n in "${PHASE_NS[@]}"; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  for n in "${PHASE_NS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  PHASE_PIDS=()
  PHASE_NS=()
}

start_capture() {
  CAPTURE_PID=
  ((HAVE_TSHARK)) || return 0
  ip netns exec "$NS_SRV" tshark -q -n -i veth-s -f 'udp port 67 or udp port 68' -w "$D/capture.pcapng" \
    >"$D/tshark.log" 2>&1 &
  CAPTURE_PID=$!
  track "$CAPTURE_PID"
  wait_for 20 grep -q "Capturing on" "$D/tshark.log" || die "$SRC: tshark did not start capturing within 20 s"
}

# ---------------------------------------------------------------- source servers
write_dhcpd() {
  cat >"$D/dhcpd.conf" <<EOF
# Switch-over test (tests/migrate/run.sh): ISC dhcpd 4.4 serving 198.18.$NET.0/24 on veth-s.
authoritative;
ddns-update-style none;
ping-check false;
default-lease-time $LEASE_TIME;
max-lease-time $LEASE_TIME;
option domain-name "$DOMAIN";
option domain-name-servers $PFX.53;
option dhcp-renewal-time $T1;
option dhcp-rebinding-time $T2;

subnet 198.18.$NET.0 netmask 255.255.255.0 {
  range $PFX.$POOL_FIRST $PFX.$POOL_LAST;
  option routers $PFX.254;
  option ntp-servers $PFX.123;
}

# Reserved hosts in their own file, declared outside the subnet, as many sites do.
include "$D/dhcpd-hosts.conf";
EOF
  cat >"$D/dhcpd-hosts.conf" <<EOF
host r1 {
  hardware ethernet $(mac r1);
  fixed-address $PFX.$RES_MAC;
}
group {
  host r2 {
    option dhcp-client-identifier $RES_CLIENT_ID;
    fixed-address $PFX.$RES_ID;
  }
}
EOF
  : >"$D/dhcpd.leases"
  SRC_CONFIG=$D/dhcpd.conf
  SRC_LEASES=$D/dhcpd.leases
}

write_kea() {
  cat >"$D/kea-dhcp4.conf" <<EOF
// Switch-over test (tests/migrate/run.sh): kea-dhcp4 2.2, memfile, 198.18.$NET.0/24 on veth-s.
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "veth-s" ], "dhcp-socket-type": "raw" },
    "lease-database": {
      "type": "memfile",
      "persist": true,
      "name": "$D/kea-leases4.csv",
      "lfc-interval": 0
    },
    "authoritative": true,
    "valid-lifetime": $LEASE_TIME,
    "renew-timer": $T1,
    "rebind-timer": $T2,
    "option-data": [
      { "name": "domain-name-servers", "data": "$PFX.53" },
      { "name": "domain-name", "data": "$DOMAIN" }
    ],
    "subnet4": [
      {
        "id": 1,
        "subnet": "198.18.$NET.0/24",
        "pools": [ { "pool": "$PFX.$POOL_FIRST - $PFX.$POOL_LAST" } ],
        "option-data": [
          { "name": "routers", "data": "$PFX.254" },
          { "name": "ntp-servers", "data": "$PFX.123" }
        ],
        "reservations": <?include "$D/kea-reservations.json"?>
      }
    ],
    "loggers": [
      { "name": "kea-dhcp4", "output_options": [ { "output": "stdout" } ], "severity": "INFO" }
    ]
  }
}
EOF
  cat >"$D/kea-reservations.json" <<EOF
[
  # Included by kea-dhcp4.conf.
  { "hw-address": "$(mac r1)", "ip-address": "$PFX.$RES_MAC", "hostname": "r1" },
  { "client-id": "$RES_CLIENT_ID", "ip-address": "$PFX.$RES_ID", "hostname": "r2" }
]
EOF
  SRC_CONFIG=$D/kea-dhcp4.conf
  SRC_LEASES=$D/kea-leases4.csv
}

write_dnsmasq() {
  cat >"$D/dnsmasq.conf" <<EOF
# Switch-over test (tests/migrate/run.sh): dnsmasq serving 198.18.$NET.0/24 on veth-s, no DNS.
port=0
interface=veth-s
bind-interfaces
dhcp-authoritative
log-dhcp
no-ping
dhcp-leasefile=$D/dnsmasq.leases
dhcp-range=$PFX.$POOL_FIRST,$PFX.$POOL_LAST,255.255.255.0,$LEASE_TIME
dhcp-option=option:router,$PFX.254
dhcp-option=option:dns-server,$PFX.53
dhcp-option=option:ntp-server,$PFX.123
dhcp-option=option:domain-name,$DOMAIN
dhcp-option=option:T1,$T1
dhcp-option=option:T2,$T2
conf-file=$D/dnsmasq-hosts.conf
EOF
  cat >"$D/dnsmasq-hosts.conf" <<EOF
dhcp-host=$(mac r1),$PFX.$RES_MAC,r1
dhcp-host=id:$RES_CLIENT_ID,$PFX.$RES_ID,r2
EOF
  SRC_CONFIG=$D/dnsmasq.conf
  SRC_LEASES=$D/dnsmasq.leases
}

write_source_config() {
  case $SRC in
    dhcpd) write_dhcpd ;;
    kea) write_kea ;;
    dnsmasq) write_dnsmasq ;;
  esac
}

start_source() { # the source with SRC_CONFIG and the lease file SRC_LEASES as they are
  case $SRC in
    dhcpd)
      ip netns exec "$NS_SRV" dhcpd -4 -f -d -cf "$SRC_CONFIG" -lf "$SRC_LEASES" -pf "$D/dhcpd.pid" veth-s \
        >>"$D/source.log" 2>&1 &
      ;;
    kea)
      ip netns exec "$NS_SRV" env KEA_PIDFILE_DIR="$D" KEA_LOCKFILE_DIR="$D" kea-dhcp4 -c "$SRC_CONFIG" \
        >>"$D/source.log" 2>&1 &
      ;;
    dnsmasq)
      # Command-line only (not part of the configuration to import): log to stderr, no pid file.
      ip netns exec "$NS_SRV" dnsmasq --keep-in-foreground --conf-file="$SRC_CONFIG" --log-facility=- \
        --pid-file= >>"$D/source.log" 2>&1 &
      ;;
  esac
  SRC_PID=$!
  track "$SRC_PID"
  if ! wait_for 20 port_open "$NS_SRV" 67; then
    tail -n 20 "$D/source.log" >&2
    die "$SRC did not open UDP port 67 within 20 s (see $D/source.log)"
  fi
}

# ---------------------------------------------------------------- clients
start_client() { # NAME: a long-running client (dhclient -d, udhcpc -f) in its namespace
  local c=$1 f=$D/$1 extra=()
  case ${KIND[$c]} in
    dhclient)
      {
        echo "request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers,"
        echo "  ntp-servers, dhcp-lease-time, dhcp-renewal-time, dhcp-rebinding-time;"
        echo "timeout 30;"
        echo "retry 5;"
        [[ $c == r2 ]] && echo "send dhcp-client-identifier $RES_CLIENT_ID;"
      } >"$f.conf"
      write_dhclient_script "$f.sh" "$f.events" "$DHCLIENT_RECORD"
      ip netns exec "$(cns "$c")" dhclient -4 -d -v -cf "$f.conf" -lf "$f.leases" -pf "$f.pid" -sf "$f.sh" eth0 \
        >>"$f.log" 2>&1 &
      ;;
    udhcpc)
      [[ $c == c ]] && extra=(-C)
      write_udhcpc_script "$f.sh" "$f.events" "$UDHCPC_RECORD"
      ip netns exec "$(cns "$c")" busybox udhcpc -f -n -t 5 -T 2 -i eth0 -s "$f.sh" -O dns -O router \
        -O subnet -O lease -O domain -O ntpsrv "${extra[@]}" >>"$f.log" 2>&1 &
      ;;
  esac
  CPID[$c]=$!
  track "${CPID[$c]}"
}

# The event that means "bound": BOUND (dhclient), bound (udhcpc).
bound_reason() { [[ ${KIND[$1]} == dhclient ]] && echo BOUND || echo bound; }
renew_reason() { [[ ${KIND[$1]} == dhclient ]] && echo RENEW || echo renew; }
has_event() { grep -q "^$2|" "$D/$1.events" 2>/dev/null; }
events_since() { tail -n +"$((EV_OFF[$1] + 1))" "$D/$1.events" 2>/dev/null; }
log_since() { tail -c +"$((LOG_OFF[$1] + 1))" "$D/$1.log" 2>/dev/null; }
expected_addr() { # NAME -> the address the source must give (reserved hosts) or empty
  case $1 in r1) echo "$PFX.$RES_MAC" ;; r2) echo "$PFX.$RES_ID" ;; *) echo "" ;; esac
}
in_pool() { [[ $1 =~ ^198\.18\.$NET\.([0-9]+)$ ]] && ((BASH_REMATCH[1] >= POOL_FIRST && BASH_REMATCH[1] <= POOL_LAST)); }

# Steps 1-2: every old client bound from the source, reserved hosts at their addresses.
clients_bind() {
  local c why="" line want
  for c in "${OLD_CLIENTS[@]}"; do start_client "$c"; done
  for c in "${OLD_CLIENTS[@]}"; do
    if ! wait_for 30 has_event "$c" "$(bound_reason "$c")"; then
      why+="$c (${KIND[$c]}) got no lease in 30 s; "
      continue
    fi
    line=$(grep "^$(bound_reason "$c")|" "$D/$c.events" | tail -n1)
    BOUND_LINE[$c]=$line
    ADDR[$c]=$(field "$line" 2)
    want=$(expected_addr "$c")
    if [[ -n $want && ${ADDR[$c]} != "$want" ]]; then
      why+="$c got ${ADDR[$c]}, reserved $want; "
    elif [[ -z $want ]] && ! in_pool "${ADDR[$c]}"; then
      why+="$c got '${ADDR[$c]}', not in the pool; "
    fi
    [[ $(field "$line" 4) == "$PFX.254" ]] || why+="$c router '$(field "$line" 4)'; "
  done
  if [[ -z $why ]]; then
    pass "$SRC" clients-bound-from-source
  else
    fail "$SRC" clients-bound-from-source "${why%; } (see $D/source.log)"
    return 1
  fi
  # The udhcpc clients renew once with the source, so its lease file holds more than one record
  # for their addresses (dhcpd and Kea append one per change: the last one must win).
  for c in "${OLD_CLIENTS[@]}"; do
    [[ ${KIND[$c]} == udhcpc ]] && kill -USR1 "${CPID[$c]}"
  done
  for c in "${OLD_CLIENTS[@]}"; do
    [[ ${KIND[$c]} == udhcpc ]] || continue
    wait_for 10 has_event "$c" renew || why+="$c (${KIND[$c]}) not renewed by the source in 10 s; "
  done
  if [[ -z $why ]]; then
    pass "$SRC" clients-renewed-with-source
  else
    fail "$SRC" clients-renewed-with-source "${why%; } (see $D/source.log)"
  fi
  [[ -z $why ]]
}

# ---------------------------------------------------------------- steps 3-5
stop_source() {
  stop "$SRC_PID"
  if kill -0 "$SRC_PID" 2>/dev/null; then die "$SRC (pid $SRC_PID) did not stop"; fi
  wait_for 10 port_free "$NS_SRV" 67 || die "$SRC: UDP port 67 still in use 10 s after stopping it"
}

import_leases() {
  local rc=0 leases=(--leases "$SRC_LEASES")
  ((IMPORT_LEASES)) || leases=()
  echo "--- leasehold import $SRC --config $SRC_CONFIG ${leases[*]}"
  timeout 60 "$LEASEHOLD" import "$SRC" --config "$SRC_CONFIG" "${leases[@]}" \
    --out "$D/leasehold.toml" --db "$D/leasehold.db" >"$D/import.log" 2>&1 || rc=$?
  sed 's/^/    /' "$D/import.log"
  echo "---"
  if ((rc != 0)); then
    fail "$SRC" import "exit status $rc: $(tail -n1 "$D/import.log")"
    return 1
  fi
  pass "$SRC" import
  rc=0
  timeout 30 "$LEASEHOLD" check-config "$D/leasehold.toml" >"$D/check-config.log" 2>&1 || rc=$?
  if ((rc != 0)); then
    fail "$SRC" check-config "$(tail -n1 "$D/check-config.log")"
    return 1
  fi
  pass "$SRC" check-config
  # What the database now holds: each dynamic client's address (reserved hosts may have no lease:
  # dhcpd keeps none for fixed addresses).
  timeout 30 "$LEASEHOLD" leases --db "$D/leasehold.db" list >"$D/leases-list.txt" 2>&1 || true
  echo "--- leasehold leases list (imported)"
  sed 's/^/    /' "$D/leases-list.txt"
  echo "---"
  local c missing=""
  for c in a b c; do
    [[ -n ${ADDR[$c]:-} ]] && ! grep -qwF "${ADDR[$c]}" "$D/leases-list.txt" && missing+="$c's ${ADDR[$c]} "
  done
  if [[ -z $missing ]]; then
    pass "$SRC" leases-imported
  else
    fail "$SRC" leases-imported "not in the database: ${missing% }"
  fi
  # The interface to serve: dhcpd takes it on its command line, which no importer can read.
  # Leasehold's default (every non-loopback interface) is veth-s alone in this namespace, so
  # nothing is added here; say so when the import did not carry one.
  if ! grep -q '^interfaces *=' "$D/leasehold.toml"; then
    echo "NOTE $SRC: the imported configuration sets no [server] interfaces; Leasehold serves" \
      "every non-loopback interface (here: veth-s only)"
  fi
}

start_leasehold() {
  ip netns exec "$NS_SRV" env RUST_LOG="${RUST_LOG:-info}" "$LEASEHOLD" serve --config "$D/leasehold.toml" \
    --db "$D/leasehold.db" >"$D/leasehold.log" 2>&1 &
  LH_PID=$!
  track "$LH_PID"
  if wait_for 20 port_open "$NS_SRV" 67; then
    pass "$SRC" leasehold-started
    return 0
  fi
  fail "$SRC" leasehold-started "UDP port 67 not open within 20 s: $(tail -n1 "$D/leasehold.log")"
  return 1
}

# ---------------------------------------------------------------- step 6
# Renewals: dhclient at its T1 (from the source's option 58, 15-20 s after binding), udhcpc on
# SIGUSR1 (busybox: a RENEWING unicast REQUEST to the server identifier).
renewals() {
  local c deadline=$((SECONDS + T1 + 25)) left first addr want why
  for c in "${OLD_CLIENTS[@]}"; do
    [[ ${KIND[$c]} == udhcpc ]] && kill -USR1 "${CPID[$c]}" 2>/dev/null
  done
  for c in "${OLD_CLIENTS[@]}"; do
    [[ -n ${ADDR[$c]:-} ]] || { fail "$SRC" "renew ${LABEL[$c]}" "had no lease from the source"; continue; }
    left=$((deadline - SECONDS))
    ((left > 0)) || left=1
    if ! wait_for "$left" bash -c "tail -n +$((EV_OFF[$c] + 1)) '$D/$c.events' | grep -q ."; then
      fail "$SRC" "renew ${LABEL[$c]}" "no event from the client within the deadline (T1=$T1 s; see $D/$c.log)"
      continue
    fi
    first=$(events_since "$c" | head -n1)
    addr=$(field "$first" 2)
    why=""
    [[ $(field "$first" 1) == "$(renew_reason "$c")" ]] ||
      why+="first event after the switch is '$(field "$first" 1)', not $(renew_reason "$c"); "
    [[ $addr == "${ADDR[$c]}" ]] || why+="address '$addr', had ${ADDR[$c]}; "
    if [[ ${KIND[$c]} == dhclient ]]; then
      log_since "$c" | grep -q 'DHCPNAK' && why+="dhclient logged a DHCPNAK; "
      log_since "$c" | grep -q 'DHCPDISCOVER' && why+="dhclient sent a DHCPDISCOVER; "
    else
      log_since "$c" | grep -qi 'nak' && why+="udhcpc logged a NAK; "
      log_since "$c" | grep -qi 'sending discover' && why+="udhcpc sent a DISCOVER; "
    fi
    if [[ -z $why ]]; then
      pass "$SRC" "renew ${LABEL[$c]}"
      RENEW_LINE[$c]=$first
    else
      fail "$SRC" "renew ${LABEL[$c]}" "${why%; } (see $D/$c.log, $D/leasehold.log)"
    fi
    want=$(expected_addr "$c")
    if [[ -n $want ]]; then
      if [[ $(field "$first" 1) == "$(renew_reason "$c")" && $addr == "$want" ]]; then
        pass "$SRC" "reservation-kept ${LABEL[$c]}"
      else
        fail "$SRC" "reservation-kept ${LABEL[$c]}" "event '$(field "$first" 1)' address '$addr', reserved $want"
      fi
    fi
  done
}

# The options of the renewal ACK are those the source gave: mask, router, DNS, lease time,
# server identifier, domain, NTP (fields 3-9).
options_kept() {
  local c why="" i names=(reason ip mask router dns lease server-id domain ntp) before after
  for c in a b r1; do
    [[ -n ${RENEW_LINE[$c]:-} && -n ${BOUND_LINE[$c]:-} ]] || { why+="$c was not renewed; "; continue; }
    for i in 3 4 5 6 7 8 9; do
      before=$(field "${BOUND_LINE[$c]}" "$i")
      after=$(field "${RENEW_LINE[$c]}" "$i")
      [[ $before == "$after" ]] || why+="$c ${names[$((i - 1))]} '$before' -> '$after'; "
    done
  done
  if [[ -z $why ]]; then pass "$SRC" options-kept; else fail "$SRC" options-kept "${why%; }"; fi
  # T1 (option 58) is not a check: the source's value is reported when Leasehold sends another.
  if [[ -n ${RENEW_LINE[a]:-} ]]; then
    before=$(field "${BOUND_LINE[a]}" 10)
    after=$(field "${RENEW_LINE[a]}" 10)
    [[ $before == "$after" ]] ||
      echo "NOTE $SRC: T1 (option 58) was $before s from the source, is $after s from Leasehold"
  fi
}

held_by() { # ADDRESS -> the client holding it, or nothing
  local c
  for c in "${OLD_CLIENTS[@]}" "${NEW_CLIENTS[@]}"; do [[ ${ADDR[$c]:-} == "$1" ]] && echo "$c"; done
  return 0
}

new_client() { # NAME CHECK SERVER-LOG: a new udhcpc client (n2 asks for a's address, n3 for b's)
  local c=$1 check=$2 log=$3 got holder f=$D/$1 extra=()
  case $c in
    n2) extra=(-r "${ADDR[a]:-$PFX.$POOL_FIRST}") ;;
    n3) extra=(-r "${ADDR[b]:-$PFX.$POOL_FIRST}") ;;
  esac
  write_udhcpc_script "$f.sh" "$f.events" "$UDHCPC_RECORD"
  if ! timeout 30 ip netns exec "$(cns "$c")" busybox udhcpc -f -q -n -t 4 -T 2 -i eth0 -s "$f.sh" \
    -O dns -O router -O subnet -O lease "${extra[@]}" >>"$f.log" 2>&1 || ! has_event "$c" bound; then
    fail "$SRC" "$check" "no lease (see $f.log, $log)"
    return
  fi
  got=$(field "$(grep '^bound|' "$f.events" | tail -n1)" 2)
  holder=$(held_by "$got")
  ADDR[$c]=$got
  if [[ -n $holder ]]; then
    fail "$SRC" "$check" "got $got, still bound to $holder (${LABEL[$holder]})"
  elif ! in_pool "$got"; then
    fail "$SRC" "$check" "got '$got', not in the pool"
  else
    pass "$SRC" "$check"
  fi
}
new_clients() {
  local c
  for c in "${NEW_CLIENTS[@]}"; do new_client "$c" "${LABEL[$c]}" "$D/leasehold.log"; done
}

capture_has() { # FILTER: the capture file holds a packet matching FILTER
  [[ -n $(timeout 10 tshark -n -r "$D/capture.pcapng" -Y "$1" -c 1 2>/dev/null) ]]
}

# From the capture (when tshark is present): after Leasehold started, every old client's REQUEST
# got an ACK, none a NAK, and none sent a DISCOVER.
capture_check() {
  [[ -n ${CAPTURE_PID:-} ]] || return 0
  local rows c m why="" acks
  # The capture reaches the file in blocks: wait (bounded) until it holds the ACK of every
  # renewal the clients saw, then SIGINT (tshark stops its dumpcap and writes what it has).
  for c in "${OLD_CLIENTS[@]}"; do
    [[ -n ${RENEW_LINE[$c]:-} ]] || continue
    wait_for 5 capture_has "dhcp.option.dhcp == 5 && dhcp.hw.mac_addr == $(mac "$c")" || break
  done
  kill -INT "$CAPTURE_PID" 2>/dev/null || true
  wait_for 10 bash -c "! ps -o stat= -p $CAPTURE_PID | grep -qv Z" || true
  stop "$CAPTURE_PID"
  # occurrence=f: dhcp.hw.mac_addr also names the MAC inside a type-1 client id (option 61).
  rows=$(timeout 60 tshark -n -r "$D/capture.pcapng" -Y "frame.time_epoch >= $SWITCH_AT && dhcp" \
    -T fields -E separator='|' -E occurrence=f -e dhcp.option.dhcp -e dhcp.hw.mac_addr -e dhcp.ip.your \
    2>"$D/tshark-read.log") || {
    fail "$SRC" capture "tshark could not read $D/capture.pcapng: $(tail -n1 "$D/tshark-read.log")"
    return
  }
  echo "$rows" >"$D/capture-after-switch.txt"
  for c in "${OLD_CLIENTS[@]}"; do
    m=$(mac "$c")
    echo "$rows" | grep -q "^1|$m|" && why+="$c sent a DISCOVER; "
    echo "$rows" | grep -q "^6|$m|" && why+="$c got a NAK; "
    acks=$(echo "$rows" | grep -c "^5|$m|${ADDR[$c]:-none}\$") || true
    ((acks > 0)) || why+="$c: no ACK of ${ADDR[$c]:-its address}; "
  done
  if [[ -z $why ]]; then
    pass "$SRC" capture-acks-no-nak-no-discover
  else
    fail "$SRC" capture-acks-no-nak-no-discover "${why%; } (see $D/capture-after-switch.txt: type|chaddr|yiaddr)"
  fi
}

leasehold_alive() {
  if kill -0 "$LH_PID" 2>/dev/null && ! grep -qi 'panicked' "$D/leasehold.log"; then
    pass "$SRC" leasehold-still-running
  else
    fail "$SRC" leasehold-still-running "exited or panicked (see $D/leasehold.log)"
  fi
}

# ---------------------------------------------------------------- step 7: and back
# Leaving Leasehold: stop it, export its leases in the source's lease file format over the
# source's lease file, restart the source with its own configuration. First a new client asks
# for b's address and must get the one address no client holds (a source that forgot b's lease
# would give it b's, and would then ACK b's renewal of a free address all the same: dhcpd and Kea
# do); then the udhcpc clients renew at once (SIGUSR1) and must be ACKed with the same address.
# (The dhclients would renew only at Leasehold's T1.)
switch_back() {
  local fmt extra=() rc=0 c first why
  stop "$LH_PID"
  if ! wait_for 10 port_free "$NS_SRV" 67; then
    fail "$SRC" back-export "UDP port 67 still in use 10 s after stopping Leasehold"
    return
  fi
  case $SRC in
    dhcpd) fmt=dhcpd ;;
    kea) fmt=kea-csv; extra=(--subnets-from "$D/leasehold.toml") ;;
    dnsmasq) fmt=dnsmasq ;;
  esac
  cp "$SRC_LEASES" "$SRC_LEASES.before-switch"
  timeout 30 "$LEASEHOLD" leases export --db "$D/leasehold.db" --format "$fmt" "${extra[@]}" \
    -o "$D/export.out" >"$D/export.log" 2>&1 || rc=$?
  echo "--- leasehold leases export --format $fmt ${extra[*]} (over $SRC_LEASES)"
  sed 's/^/    /' "$D/export.log" "$D/export.out" 2>/dev/null
  echo "---"
  if ((rc != 0)); then
    fail "$SRC" back-export "exit status $rc: $(tail -n1 "$D/export.log")"
    return
  fi
  pass "$SRC" back-export
  mv "$D/export.out" "$SRC_LEASES"
  for c in b c; do
    EV_OFF[$c]=$(wc -l <"$D/$c.events")
    LOG_OFF[$c]=$(stat -c %s "$D/$c.log")
  done
  start_source
  new_client n3 "back-${LABEL[n3]}" "$D/source.log"
  for c in b c; do kill -USR1 "${CPID[$c]}" 2>/dev/null || true; done
  for c in b c; do
    if ! wait_for 15 bash -c "tail -n +$((EV_OFF[$c] + 1)) '$D/$c.events' | grep -q ."; then
      fail "$SRC" "back-renew ${LABEL[$c]}" "no event from the client within 15 s (see $D/$c.log)"
      continue
    fi
    first=$(events_since "$c" | head -n1)
    why=""
    [[ $(field "$first" 1) == renew ]] || why+="first event after the switch back is '$(field "$first" 1)', not renew; "
    [[ $(field "$first" 2) == "${ADDR[$c]}" ]] || why+="address '$(field "$first" 2)', had ${ADDR[$c]}; "
    log_since "$c" | grep -qi 'nak' && why+="udhcpc logged a NAK; "
    log_since "$c" | grep -qi 'sending discover' && why+="udhcpc sent a DISCOVER; "
    if [[ -z $why ]]; then
      pass "$SRC" "back-renew ${LABEL[$c]}"
    else
      fail "$SRC" "back-renew ${LABEL[$c]}" "${why%; } (see $D/$c.log, $D/source.log)"
    fi
  done
}

# ---------------------------------------------------------------- one source
run_source() { # SOURCE NET
  SRC=$1
  NET=$2
  PFX=198.18.$NET
  NSP=lm-$SRC-$TAG
  D=$WORK/$SRC
  mkdir -p "$D"
  PHASE_PIDS=()
  CPID=() ADDR=() BOUND_LINE=() RENEW_LINE=() EV_OFF=() LOG_OFF=()
  local t0 t_stop t_up c
  t0=$(now)
  echo "== $SRC: 198.18.$NET.0/24, work $D"
  topology
  start_capture
  write_source_config
  start_source
  if clients_bind; then
    t_stop=$(now)
    stop_source
    for c in "${OLD_CLIENTS[@]}"; do
      EV_OFF[$c]=$(wc -l <"$D/$c.events")
      LOG_OFF[$c]=$(stat -c %s "$D/$c.log")
    done
    if import_leases && SWITCH_AT=$(now) && start_leasehold; then
      t_up=$(now)
      figure "$SRC switch-over gap $(elapsed "$t_stop" "$t_up") s (source stopped -> Leasehold listening)"
      new_clients   # first: until they renew, only the imported leases keep a, b, c's addresses
      renewals
      options_kept
      capture_check
      leasehold_alive
      switch_back
    fi
  fi
  phase_teardown
  figure "$SRC duration $(elapsed "$t0" "$(now)") s"
}

echo "migrate: leasehold=$LEASEHOLD_GIVEN sources='$SOURCES' work=$WORK namespaces=lm-*-$TAG"
for s in $SOURCES; do
  case $s in
    dhcpd) run_source dhcpd 96 ;;
    kea) run_source kea 97 ;;
    dnsmasq) run_source dnsmasq 98 ;;
  esac
done

netns_summary
