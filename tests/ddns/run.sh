#!/usr/bin/env bash
# Dynamic DNS end-to-end test (issue 17): Leasehold hands out addresses to real dhclient clients
# and updates real DNS servers (BIND 9 and Knot DNS) with RFC 2136 + TSIG, DHCID (RFC 4701) and
# RFC 4703 conflict resolution. Everything runs inside network namespaces this script creates,
# with addresses only from 198.18.0.0/15, removed on exit (also on failure or Ctrl-C). The DNS
# servers are our own named/knotd with their configuration, zones, journals and pid files in the
# work directory; they listen only on namespace addresses. The packages' own services are not
# used.
#
#   sudo tests/ddns/run.sh                  # the whole suite against target/debug/leasehold
#   sudo DNS_ONLY=1 tests/ddns/run.sh       # the DNS half alone: BIND and Knot with nsupdate and
#                                           # knsupdate doing the updates Leasehold would do
#   sudo LEASEHOLD=/path/to/leasehold KEEP=1 tests/ddns/run.sh
#
# Knobs: SHORT_LEASE (20: the lease the expiry client asks for), DOWN_SECS (30: how long BIND is
# down in check 6), CONVERGE_SECS (90: bound on records appearing after a restart of Leasehold or
# of BIND), KEEP (1: keep the work directory).
#
# Prints `PASS ...` / `FAIL ... — why` per check and `FIGURE ...` per measurement, then
# `N passed, M failed`; exits non-zero on any failure or missing prerequisite.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LEASEHOLD=${LEASEHOLD:-$ROOT/target/debug/leasehold}
DNS_ONLY=${DNS_ONLY:-0}
KEEP=${KEEP:-0}
SHORT_LEASE=${SHORT_LEASE:-20}
DOWN_SECS=${DOWN_SECS:-30}
CONVERGE_SECS=${CONVERGE_SECS:-90}
PY=/usr/bin/python3         # Debian's python3 (hashlib, base64): the expected DHCID values

NETNS_NAME=ddns
NETNS_SETTLE=0.5
NETNS_KEPT="logs, configurations and zones"
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$HERE/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/client_scripts.sh
. "$HERE/../lib/client_scripts.sh"

netns_require_root ": sudo $0"
need ip iproute2
need bridge iproute2
need ss iproute2
need timeout coreutils
need named bind9
need tsig-keygen bind9
need named-checkconf bind9-utils
need dig bind9-dnsutils
need nsupdate bind9-dnsutils
need knotd knot
need knotc knot
need kdig knot-dnsutils
need knsupdate knot-dnsutils
[[ -x $PY ]] || die "missing prerequisite $PY (Debian package: python3)"
id bind >/dev/null 2>&1 || die "no user 'bind' (Debian package: bind9)"
id knot >/dev/null 2>&1 || die "no user 'knot' (Debian package: knot)"
case $DNS_ONLY in
  0)
    need dhclient isc-dhcp-client
    need curl curl
    [[ -x $LEASEHOLD ]] || die "no Leasehold binary at $LEASEHOLD: run 'cargo build -p leasehold' or set LEASEHOLD="
    ;;
  1) ;;
  *) die "DNS_ONLY must be 0 or 1, not '$DNS_ONLY'" ;;
esac

# ---------------------------------------------------------------- names, state, cleanup
TAG=$$
NS_BR=lhd-br-$TAG
NS_SRV=lhd-srv-$TAG
NS_DNS=lhd-dns-$TAG
CLIENTS=(c1 c2 c3)
ns() { echo "lhd-$1-$TAG"; }            # client namespace name
declare -A MAC=([c1]=02:00:00:00:dd:01 [c2]=02:00:00:00:dd:02 [c3]=02:00:00:00:dd:03)
SRV_ADDR=198.18.0.1
BIND_ADDR=198.18.0.53
KNOT_ADDR=198.18.0.54
FWD=ddns.test.
REV=0.18.198.in-addr.arpa.
KEY_NAME=leasehold-key.
WORK=$(mktemp -d "/tmp/lh-ddns-$TAG.XXXX")
BIND_DIR=$WORK/bind
KNOT_DIR=$WORK/knot
netns_init
# named and knotd drop to their users: they must be able to walk into $WORK (not list it).
chmod 711 "$WORK"

# ---------------------------------------------------------------- topology
#   lhd-c1..c3: eth0 (dhclient) ───────────────────────┐
#   lhd-srv: veth-s 198.18.0.1/24 (Leasehold) ─────────┤ br0 (in lhd-br)
#   lhd-dns: eth0 198.18.0.53/24 (named), .54 (knotd) ─┘
topology() {
  local ports=2 c
  addns "$NS_BR"
  bridge_add "$NS_BR"
  addns "$NS_SRV"
  bridge_plug "$NS_BR" "$NS_SRV" veth-s p-srv 02:00:00:00:dd:fe
  ip -n "$NS_SRV" addr add "$SRV_ADDR/24" dev veth-s
  addns "$NS_DNS"
  bridge_plug "$NS_BR" "$NS_DNS" eth0 p-dns 02:00:00:00:dd:35
  ip -n "$NS_DNS" addr add "$BIND_ADDR/24" dev eth0
  ip -n "$NS_DNS" addr add "$KNOT_ADDR/24" dev eth0
  if [[ $DNS_ONLY == 0 ]]; then
    for c in "${CLIENTS[@]}"; do
      addns "$(ns "$c")"
      bridge_plug "$NS_BR" "$(ns "$c")" eth0 "p-$c" "${MAC[$c]}"
      ports=$((ports + 1))
    done
  fi
  wait_for 10 bridge_ready "$NS_BR" "$ports" ||
    die "topology: bridge ports did not reach forwarding state in 10 s"
}

# ---------------------------------------------------------------- keys
# The key Leasehold and the DNS servers share, made by tsig-keygen (BIND's key statement, which
# Leasehold's secret_file accepts), and a wrong one: the same name with another secret, the
# classic copy-paste mistake (the server answers NOTAUTH, TSIG error BADSIG).
key_secret() { sed -n 's/.*secret "\([^"]*\)".*/\1/p' "$1"; }
make_keys() {
  tsig-keygen -a hmac-sha256 "$KEY_NAME" >"$WORK/leasehold.key"
  tsig-keygen -a hmac-sha256 "$KEY_NAME" >"$WORK/wrong.key"
  chmod 600 "$WORK/leasehold.key" "$WORK/wrong.key"
  SECRET=$(key_secret "$WORK/leasehold.key")
  WRONG_SECRET=$(key_secret "$WORK/wrong.key")
  [[ -n $SECRET && -n $WRONG_SECRET && $SECRET != "$WRONG_SECRET" ]] || die "tsig-keygen gave no usable secrets"
}

# zone_file ORIGIN NS-ADDRESS: the empty dynamic zone both servers start from.
zone_file() {
  cat <<EOF
\$TTL 300
@ IN SOA ns.$FWD hostmaster.$FWD 1 3600 600 86400 60
@ IN NS ns.$FWD
EOF
  if [[ $1 == "$FWD" ]]; then echo "ns IN A $2"; fi
}

# ---------------------------------------------------------------- BIND
write_bind() {
  mkdir -p "$BIND_DIR"
  cp "$WORK/leasehold.key" "$BIND_DIR/leasehold.key"
  zone_file "$FWD" "$BIND_ADDR" >"$BIND_DIR/fwd.zone"
  zone_file "$REV" "$BIND_ADDR" >"$BIND_DIR/rev.zone"
  cat >"$BIND_DIR/named.conf" <<EOF
// Throw-away BIND of tests/ddns/run.sh: listens on $BIND_ADDR only, no recursion, no rndc.
options {
    directory "$BIND_DIR";
    pid-file "$BIND_DIR/named.pid";
    session-keyfile "$BIND_DIR/session.key";
    managed-keys-directory "$BIND_DIR";
    listen-on port 53 { $BIND_ADDR; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query { any; };
};
controls { };
include "$BIND_DIR/leasehold.key";
zone "$FWD" {
    type primary;
    file "fwd.zone";
    update-policy { grant $KEY_NAME zonesub ANY; };
};
zone "$REV" {
    type primary;
    file "rev.zone";
    update-policy { grant $KEY_NAME zonesub ANY; };
};
EOF
  chown -R bind:bind "$BIND_DIR"
  chmod 750 "$BIND_DIR"
  chmod 640 "$BIND_DIR/leasehold.key"
  named-checkconf -z "$BIND_DIR/named.conf" >"$WORK/named-checkconf.log" 2>&1 ||
    { cat "$WORK/named-checkconf.log" >&2; die "named-checkconf rejected the test configuration"; }
}
# start_bind: named in the foreground (-g: log to stderr, appended to $WORK/named.log) as user
# bind; the zone journals stay in $BIND_DIR across restarts.
start_bind() {
  echo "---- started $(date +%T)" >>"$WORK/named.log"
  ip netns exec "$NS_DNS" named -4 -g -u bind -c "$BIND_DIR/named.conf" >>"$WORK/named.log" 2>&1 &
  BIND_PID=$!
  PIDS+=("$!")
  if ! wait_for 20 serving "$BIND_ADDR"; then
    tail -n 20 "$WORK/named.log" >&2
    die "named did not serve $FWD on $BIND_ADDR within 20 s"
  fi
}
stop_bind() { stop "$BIND_PID"; }

# ---------------------------------------------------------------- Knot
write_knot() {
  mkdir -p "$KNOT_DIR/zones" "$KNOT_DIR/db"
  zone_file "$FWD" "$KNOT_ADDR" >"$KNOT_DIR/zones/fwd.zone"
  zone_file "$REV" "$KNOT_ADDR" >"$KNOT_DIR/zones/rev.zone"
  cat >"$KNOT_DIR/knot.conf" <<EOF
# Throw-away Knot DNS of tests/ddns/run.sh: listens on $KNOT_ADDR only.
server:
    rundir: "$KNOT_DIR"
    pidfile: "$KNOT_DIR/knot.pid"
    user: knot:knot
    listen: $KNOT_ADDR@53

control:
    listen: "$KNOT_DIR/knot.sock"

log:
  - target: stderr
    any: debug         # Knot 3.2 reports a failed TSIG verification (BADSIG) only at debug

database:
    storage: "$KNOT_DIR/db"

key:
  - id: $KEY_NAME
    algorithm: hmac-sha256
    secret: $SECRET

acl:
  - id: leasehold_update
    key: $KEY_NAME
    action: update

template:
  - id: default
    storage: "$KNOT_DIR/zones"
    semantic-checks: off

zone:
  - domain: $FWD
    file: fwd.zone
    acl: leasehold_update
  - domain: $REV
    file: rev.zone
    acl: leasehold_update
EOF
  chown -R knot:knot "$KNOT_DIR"
  chmod 750 "$KNOT_DIR"
  chmod 640 "$KNOT_DIR/knot.conf"
  knotc -c "$KNOT_DIR/knot.conf" conf-check >"$WORK/knot-check.log" 2>&1 ||
    { cat "$WORK/knot-check.log" >&2; die "knotc conf-check rejected the test configuration"; }
}
start_knot() {
  echo "---- started $(date +%T)" >>"$WORK/knot.log"
  ip netns exec "$NS_DNS" knotd -c "$KNOT_DIR/knot.conf" >>"$WORK/knot.log" 2>&1 &
  PIDS+=("$!")
  if ! wait_for 20 serving "$KNOT_ADDR"; then
    tail -n 20 "$WORK/knot.log" >&2
    die "knotd did not serve $FWD on $KNOT_ADDR within 20 s"
  fi
}

# holds SECONDS CMD...: CMD keeps succeeding for SECONDS (polled every 0.2 s): a state that must
# not change, observed for a bounded time.
holds() {
  local end=$((SECONDS + $1)); shift
  while ((SECONDS < end)); do
    "$@" >/dev/null 2>&1 || return 1
    sleep 0.2
  done
}

# ---------------------------------------------------------------- DNS queries and updates
# dns SERVER NAME TYPE: the answer's RDATA, one per line, sorted; dig against BIND, kdig against
# Knot, from the server namespace (where Leasehold's updates come from). Non-zero status unless
# the server answered NOERROR or NXDOMAIN, so "no record" is never mistaken for "no server" or
# for a zone the server refuses to serve.
dns() {
  local out
  if [[ $1 == "$KNOT_ADDR" ]]; then
    out=$(x "$NS_SRV" kdig "@$1" +norec +time=1 +retry=0 "$2" "$3" 2>/dev/null) || return 1
  else
    out=$(x "$NS_SRV" dig "@$1" +norec +time=1 +tries=1 "$2" "$3" 2>/dev/null) || return 1
  fi
  grep -qE 'status: (NOERROR|NXDOMAIN)' <<<"$out" || return 1
  # The ANSWER section's lines of TYPE: owner TTL class type RDATA (both tools print sections
  # after a `;; NAME SECTION:` line).
  awk -v t="$3" '/^;; [A-Z]+ SECTION:/ { answer = ($2 == "ANSWER") } answer && !/^;/ && NF >= 5 && $4 == t {
      $1 = $2 = $3 = $4 = ""; gsub(/^ +|[()]/, ""); gsub(/ +/, " "); sub(/ $/, ""); print }' <<<"$out" | sort
}
serving() { [[ -n $(dns "$1" "$FWD" SOA) ]]; }
# has SERVER NAME TYPE VALUE: the RRset is exactly VALUE.
has() { local out; out=$(dns "$1" "$2" "$3") && [[ $out == "$4" ]]; }
# exists SERVER NAME TYPE: the RRset is not empty.
exists() { local out; out=$(dns "$1" "$2" "$3") && [[ -n $out ]]; }
# gone SERVER NAME TYPE: the server answers, with no such RRset.
gone() { local out; out=$(dns "$1" "$2" "$3") && [[ -z $out ]]; }
ptr_name() { local a b c d; IFS=. read -r a b c d <<<"$1"; echo "$d.$c.$b.$a.in-addr.arpa."; }

# dhcid TYPE IDENTIFIER-HEX FQDN: the RFC 4701 DHCID RDATA in base64 (digest type 1, SHA-256 over
# the identifier and the name in canonical wire form). TYPE 0: htype and chaddr; 1: the client
# identifier option's data.
dhcid() {
  "$PY" - "$@" <<'EOF'
import base64, hashlib, sys
kind, ident, name = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3]
wire = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").lower().split(".")) + b"\0"
print(base64.b64encode(kind.to_bytes(2, "big") + b"\x01" + hashlib.sha256(ident + wire).digest()).decode())
EOF
}
hex_mac() { echo "01${1//:/}"; }          # htype 1 (Ethernet) and chaddr, as hex

# update SERVER KEY-FILE|SECRET SCRIPT: nsupdate (key file) against BIND, knsupdate (secret)
# against Knot, from the server namespace; output on stdout, the client's status.
update() {
  local srv=$1 key=$2 script=$3
  if [[ $srv == "$KNOT_ADDR" ]]; then
    printf 'server %s\n%s\n' "$srv" "$script" |
      x "$NS_SRV" timeout 20 knsupdate -t 3 -r 1 -y "hmac-sha256:$KEY_NAME:$key" 2>&1
  else
    printf 'server %s\n%s\n' "$srv" "$script" | x "$NS_SRV" timeout 20 nsupdate -t 5 -k "$key" 2>&1
  fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- DNS_ONLY: the harness itself
# The updates Leasehold makes, done by nsupdate/knsupdate with the same key, checked the same way.
selfcheck_server() { # LABEL SERVER GOOD-KEY WRONG-KEY LOG
  local l=$1 s=$2 good=$3 wrong=$4 log=$5 name=alpha.$FWD addr=198.18.0.150 out id
  local ptr; ptr=$(ptr_name $addr)
  id=$(dhcid 0 "$(hex_mac 02:00:00:00:dd:01)" "$name")
  # The RFC 4703 add: the name must not exist yet.
  if out=$(update "$s" "$good" "zone $FWD
prereq nxdomain $name
update add $name 60 A $addr
update add $name 60 DHCID $id
send
zone $REV
update add $ptr 60 PTR $name
send"); then pass "$l" signed-add; else fail "$l" signed-add "$(tail -n1 <<<"$out")"; fi
  if has "$s" "$name" A "$addr"; then pass "$l" A; else fail "$l" A "got '$(dns "$s" "$name" A || true)'"; fi
  if has "$s" "$ptr" PTR "$name"; then pass "$l" PTR; else fail "$l" PTR "got '$(dns "$s" "$ptr" PTR || true)'"; fi
  if has "$s" "$name" DHCID "$id"; then pass "$l" DHCID; else fail "$l" DHCID "got '$(dns "$s" "$name" DHCID || true)', want $id"; fi
  # Another client's add (name in use) must fail on the prerequisite and change nothing.
  if out=$(update "$s" "$good" "zone $FWD
prereq nxdomain $name
update add $name 60 A 198.18.0.151
send"); then
    fail "$l" conflict-prerequisite "the second add succeeded"
  elif [[ $out == *YXDOMAIN* ]] && has "$s" "$name" A "$addr"; then
    pass "$l" conflict-prerequisite
  else
    fail "$l" conflict-prerequisite "$(tail -n1 <<<"$out"); A '$(dns "$s" "$name" A || true)'"
  fi
  # The same client (its DHCID) may replace its address.
  if update "$s" "$good" "zone $FWD
prereq yxrrset $name DHCID $id
update delete $name A
update add $name 60 A 198.18.0.152
send" >/dev/null && has "$s" "$name" A 198.18.0.152; then
    pass "$l" same-dhcid-replace
  else
    fail "$l" same-dhcid-replace "A '$(dns "$s" "$name" A || true)'"
  fi
  # The removal: only while the DHCID is ours.
  if update "$s" "$good" "zone $FWD
prereq yxrrset $name DHCID $id
update delete $name
send
zone $REV
update delete $ptr
send" >/dev/null && gone "$s" "$name" A && gone "$s" "$name" DHCID && gone "$s" "$ptr" PTR; then
    pass "$l" signed-delete
  else
    fail "$l" signed-delete "A '$(dns "$s" "$name" A || true)' PTR '$(dns "$s" "$ptr" PTR || true)'"
  fi
  # The wrong key: refused, nothing added, and the server says so in its log.
  local before; before=$(wc -l <"$log")
  if out=$(update "$s" "$wrong" "zone $FWD
update add wrong.$FWD 60 A 198.18.0.153
send"); then
    fail "$l" wrong-key-refused "the update succeeded"
  elif gone "$s" "wrong.$FWD" A; then
    pass "$l" wrong-key-refused
    echo "     client said: $(grep -m1 -iE 'notauth|badsig|refused|tsig|fail' <<<"$out" || tail -n1 <<<"$out")"
  else
    fail "$l" wrong-key-refused "wrong.$FWD exists"
  fi
  if wait_for 5 bash -c "tail -n +$((before + 1)) '$log' | grep -qiE 'badsig|tsig verify failure|invalid signature|denied'"; then
    pass "$l" wrong-key-logged
    echo "     log: $(tail -n +$((before + 1)) "$log" | grep -m1 -iE 'badsig|tsig verify failure|invalid signature|denied')"
  else
    fail "$l" wrong-key-logged "no refusal in $log"
  fi
}
dns_only() {
  local want=AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY= got
  # RFC 4701 §3.6's example: client.example.com, chaddr 01:02:03:04:05:06 on Ethernet.
  got=$(dhcid 0 01010203040506 client.example.com)
  if [[ $got == "$want" ]]; then pass harness dhcid-rfc4701-example; else fail harness dhcid-rfc4701-example "got $got"; fi
  selfcheck_server bind "$BIND_ADDR" "$WORK/leasehold.key" "$WORK/wrong.key" "$WORK/named.log"
  selfcheck_server knot "$KNOT_ADDR" "$SECRET" "$WRONG_SECRET" "$WORK/knot.log"
  # What check 6 relies on: a restarted named serves the updates of before (its journal).
  update "$BIND_ADDR" "$WORK/leasehold.key" "zone $FWD
update add kept.$FWD 60 A 198.18.0.160
send" >/dev/null || true
  stop_bind
  if serving "$BIND_ADDR"; then fail bind stopped "still answering after stop"; else pass bind stopped; fi
  start_bind
  if has "$BIND_ADDR" "kept.$FWD" A 198.18.0.160; then pass bind journal-kept-over-restart; else fail bind journal-kept-over-restart "kept.$FWD A '$(dns "$BIND_ADDR" "kept.$FWD" A || true)'"; fi
}

# ---------------------------------------------------------------- Leasehold
LEASE_TIME=60
# write_leasehold_config CONFLICT-MODE KEY-FILE ZONE-SERVER
write_leasehold_config() {
  cat >"$WORK/leasehold.toml" <<EOF
[server]
interfaces = ["veth-s"]
server_port = 67
client_port = 68
lease_time = $LEASE_TIME

[control]
listen = "127.0.0.1:8067"

[ddns]
update = "client"
qualifying_suffix = "$FWD"
conflict_resolution = "$1"

[[ddns.key]]
name = "$KEY_NAME"
algorithm = "hmac-sha256"
secret_file = "$2"

[[ddns.zone]]
name = "$FWD"
server = "$3"
key = "$KEY_NAME"

[[ddns.zone]]
name = "$REV"
server = "$3"
key = "$KEY_NAME"

[[subnet]]
subnet = "198.18.0.0/24"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.199"
EOF
}
server_up() {
  port_open "$NS_SRV" 67 && x "$NS_SRV" curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:8067/metrics
}
# start_server CONFLICT-MODE KEY-FILE ZONE-SERVER: (re)start Leasehold on the same lease database.
start_server() {
  write_leasehold_config "$@"
  if ! timeout 20 "$LEASEHOLD" check-config "$WORK/leasehold.toml" >"$WORK/check-config.log" 2>&1; then
    cat "$WORK/check-config.log" >&2
    die "leasehold check-config rejected the test configuration (no [ddns] support in this build?)"
  fi
  echo "---- started $(date +%T): conflict_resolution=$1 key=${2##*/} server=$3" >>"$WORK/server.log"
  ip netns exec "$NS_SRV" env RUST_LOG="${RUST_LOG:-info}" "$LEASEHOLD" serve --config "$WORK/leasehold.toml" \
    --db "$WORK/leasehold.db" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$!")
  if ! wait_for 30 server_up; then
    tail -n 20 "$WORK/server.log" >&2
    die "Leasehold did not come up within 30 s (log: $WORK/server.log)"
  fi
}
restart_server() { stop "$SERVER_PID"; start_server "$@"; }
# metric NAME: the sum over all lines (any labels) of a metric; empty when absent or unreachable.
metric() {
  { x "$NS_SRV" curl -fsS --max-time 5 http://127.0.0.1:8067/metrics 2>/dev/null || true; } |
    awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF; n++ } END { if (n) print s }'
}
metric_ge() { awk -v v="$(metric "$1")" -v w="$2" 'BEGIN { exit !(v != "" && v + 0 >= w + 0) }'; }
metric_eq() { awk -v v="$(metric "$1")" -v w="$2" 'BEGIN { exit !(v != "" && v + 0 == w + 0) }'; }
alerts() { x "$NS_SRV" curl -fsS --max-time 5 http://127.0.0.1:8067/api/alerts 2>/dev/null; }
alert_active() { alerts | grep -qF "\"ddns_refused:$1\""; }

# ---------------------------------------------------------------- clients (dhclient)
# One event per line: reason|address|lease-time|unix time of the event (the ACK's arrival).
# shellcheck disable=SC2016 # expanded by the hook, not here
RECORD='${reason}|${new_ip_address}|${new_dhcp_lease_time}|$(date +%s.%N)'
declare -A CPID=() ADDR=() BOUND_AT=() LEASE=()
field() { echo "$1" | cut -d'|' -f"$2"; }
# client_conf CLIENT LINE...: the dhclient.conf of the next start. No client identifier unless a
# LINE sends one; dhclient makes no DNS updates of its own (and could not: it has no key).
client_conf() {
  local c=$1; shift
  {
    printf '%s\n' "$@"
    printf 'do-forward-updates false;\nrequest subnet-mask, routers;\ntimeout 20;\nretry 5;\n'
  } >"$WORK/$c.conf"
}
client_start() { # CLIENT
  local c=$1 d=$WORK/$1
  : >"$d.events"
  write_dhclient_script "$d.sh" "$d.events" "$RECORD"
  echo "---- started $(date +%T)" >>"$d.log"
  ip netns exec "$(ns "$c")" dhclient -4 -d -v -cf "$d.conf" -lf "$d.leases" -pf "$d.pid" -sf "$d.sh" eth0 \
    >>"$d.log" 2>&1 &
  CPID[$c]=$!
  PIDS+=("$!")
}
# client_bound CLIENT: bound within 30 s; sets ADDR, BOUND_AT and LEASE of CLIENT.
client_bound() {
  local c=$1 line
  wait_for 30 grep -qE '^(BOUND|REBOOT)\|' "$WORK/$c.events" || return 1
  line=$(grep -E '^(BOUND|REBOOT)\|' "$WORK/$c.events" | tail -n1)
  ADDR[$c]=$(field "$line" 2)
  LEASE[$c]=$(field "$line" 3)
  BOUND_AT[$c]=$(field "$line" 4)
  [[ ${ADDR[$c]} =~ ^198\.18\.0\.1[0-9][0-9]$ ]]
}
# start_bound CHECK CLIENT: start and wait; a FAIL line names CHECK when there is no lease.
start_bound() {
  client_start "$2"
  client_bound "$2" && return 0
  fail "$1" "$2 bound" "no lease within 30 s (see $WORK/$2.log)"
  return 1
}
client_release() { # CLIENT: dhclient -r (RELEASE to the server; the running dhclient exits)
  local c=$1 d=$WORK/$1
  timeout 20 ip netns exec "$(ns "$c")" dhclient -4 -r -v -cf "$d.conf" -lf "$d.leases" -pf "$d.pid" \
    -sf "$d.sh" eth0 >>"$d.log" 2>&1 || true
  stop "${CPID[$c]}"
  x "$(ns "$c")" ip addr flush dev eth0
}
client_kill() { # CLIENT: gone without a word (SIGKILL; no RELEASE)
  kill -9 "${CPID[$1]}" 2>/dev/null || true
  wait "${CPID[$1]}" 2>/dev/null || true
  x "$(ns "$1")" ip addr flush dev eth0
}

# check_records CHECK SERVER NAME CLIENT DHCID-TYPE IDENTIFIER-HEX [BOUND-SECS]: the client's
# A, PTR and DHCID appear on SERVER.
check_records() {
  local k=$1 s=$2 name=$3 c=$4 addr=${ADDR[$4]} id ptr secs=${7:-20}
  ptr=$(ptr_name "$addr")
  if wait_for "$secs" has "$s" "$name" A "$addr"; then
    pass "$k" "$name A $addr"
    figure "$k $name: A in DNS $(since "${BOUND_AT[$c]}") s after the client's ACK"
  else
    fail "$k" "$name A $addr" "got '$(dns "$s" "$name" A || true)' after ${secs} s"
  fi
  if wait_for 10 has "$s" "$ptr" PTR "$name"; then pass "$k" "$ptr PTR"; else fail "$k" "$ptr PTR" "got '$(dns "$s" "$ptr" PTR || true)'"; fi
  id=$(dhcid "$5" "$6" "$name")
  if wait_for 10 exists "$s" "$name" DHCID; then
    pass "$k" "$name DHCID"
    if has "$s" "$name" DHCID "$id"; then
      pass "$k" "$name DHCID is RFC 4701's (identifier type $5)"
    else
      fail "$k" "$name DHCID is RFC 4701's (identifier type $5)" "got '$(dns "$s" "$name" DHCID || true)', want $id"
    fi
  else
    fail "$k" "$name DHCID" "none"
  fi
}
# check_gone CHECK SERVER NAME ADDRESS SECS [T0]: A, DHCID and PTR gone within SECS.
check_gone() {
  local k=$1 s=$2 name=$3 ptr; ptr=$(ptr_name "$4")
  if wait_for "$5" all_gone "$s" "$name" "$ptr"; then
    pass "$k" "$name records removed"
    if [[ -n ${6:-} ]]; then figure "$k $name: records gone $(since "$6") s after ${7:-the event}"; fi
  else
    fail "$k" "$name records removed" "A '$(dns "$s" "$name" A || true)' DHCID '$(dns "$s" "$name" DHCID || true)' PTR '$(dns "$s" "$ptr" PTR || true)' after $5 s"
  fi
}
all_gone() { gone "$1" "$2" A && gone "$1" "$2" DHCID && gone "$1" "$3" PTR; }

# ---------------------------------------------------------------- the checks
# 1. Adds on ACK: option 12 only (c1, alpha), option 81 with S=1 and a client identifier (c2, beta).
test_add() {
  client_conf c1 'send host-name "alpha";'
  client_conf c2 "send fqdn.fqdn \"beta.$FWD\";" 'send fqdn.server-update on;' \
    'send dhcp-client-identifier = hardware;'
  client_start c1
  client_start c2
  if client_bound c1; then
    pass 1-add "c1 bound ${ADDR[c1]}"
    check_records 1-add "$BIND_ADDR" "alpha.$FWD" c1 0 "$(hex_mac "${MAC[c1]}")"
  else
    fail 1-add "c1 bound" "no lease (see $WORK/c1.log)"
  fi
  if client_bound c2; then
    pass 1-add "c2 bound ${ADDR[c2]}"
    check_records 1-add "$BIND_ADDR" "beta.$FWD" c2 1 "$(hex_mac "${MAC[c2]}")"
  else
    fail 1-add "c2 bound" "no lease (see $WORK/c2.log)"
  fi
  # A client that sends no name gets the generated one (replace_client_name = "when-absent").
  client_conf c3
  if start_bound 1-add c3; then
    local gen; gen="dhcp-${ADDR[c3]//./-}.$FWD"
    if wait_for 20 has "$BIND_ADDR" "$gen" A "${ADDR[c3]}" && wait_for 10 has "$BIND_ADDR" "$(ptr_name "${ADDR[c3]}")" PTR "$gen"; then
      pass 1-add "$gen A and PTR (generated name)"
    else
      fail 1-add "$gen A and PTR (generated name)" "A '$(dns "$BIND_ADDR" "$gen" A || true)' PTR '$(dns "$BIND_ADDR" "$(ptr_name "${ADDR[c3]}")" PTR || true)'"
    fi
    client_release c3
  fi
}
# Client C releases its lease (dhclient -r); NAME's records on SERVER must go within 10 s.
release_and_check_gone() {
  local group=$1 server=$2 name=$3 c=$4 t0
  if ! has "$server" "$name" A "${ADDR[$c]}"; then
    fail "$group" "$name records removed" "not tested: the record never appeared"
    client_release "$c"
    return
  fi
  t0=$(now)
  client_release "$c"
  check_gone "$group" "$server" "$name" "${ADDR[$c]}" 10 "$t0" "dhclient -r"
}
# 2. Release removes A, PTR and DHCID.
test_release() {
  [[ -n ${ADDR[c2]:-} ]] || { fail 2-release "skipped: c2 has no lease"; return; }
  release_and_check_gone 2-release "$BIND_ADDR" "beta.$FWD" c2
}
# 3. Expiry: a client asks for a short lease and dies; its records go when the lease ends.
test_expiry() {
  client_conf c3 'send host-name "gamma";' "send dhcp-lease-time $SHORT_LEASE;"
  start_bound 3-expiry c3 || return 0
  if [[ ${LEASE[c3]} != "$SHORT_LEASE" ]]; then
    fail 3-expiry "lease $SHORT_LEASE s" "got '${LEASE[c3]}' (option 51 not honoured?)"
  fi
  local addr=${ADDR[c3]} lease=${LEASE[c3]:-$LEASE_TIME}
  if ! wait_for 20 has "$BIND_ADDR" "gamma.$FWD" A "$addr"; then
    fail 3-expiry "gamma.$FWD A $addr" "never appeared"
    client_kill c3
    return
  fi
  pass 3-expiry "gamma.$FWD A $addr"
  client_kill c3
  local end left
  end=$(awk -v b="${BOUND_AT[c3]}" -v l="$lease" 'BEGIN { printf "%.3f", b + l }')
  left=$(awk -v e="$end" -v n="$(now)" 'BEGIN { s = int(e - n + 30.999); print (s < 1 ? 1 : s) }')
  if gone "$BIND_ADDR" "gamma.$FWD" A; then
    fail 3-expiry "records kept until the lease ends" "gone before the lease ended (killed client, no RELEASE)"
  fi
  check_gone 3-expiry "$BIND_ADDR" "gamma.$FWD" "$addr" "$left" "$end" "the lease's end"
}
# 4. Conflicts: another client asking for a name in use does not take it (check-with-dhcid);
# with no-check-with-dhcid the newcomer does.
test_conflict() {
  [[ -n ${ADDR[c1]:-} ]] || { fail 4-conflict "skipped: c1 has no lease"; return; }
  local before want
  before=$(metric leasehold_ddns_conflicts_total)
  want=$(awk -v b="${before:-0}" 'BEGIN { print b + 1 }')
  client_conf c2 'send host-name "alpha";'
  if start_bound 4-conflict c2; then
    if wait_for 20 metric_ge leasehold_ddns_conflicts_total "$want"; then
      pass 4-conflict "leasehold_ddns_conflicts_total >= 1"
    else
      fail 4-conflict "leasehold_ddns_conflicts_total >= 1" "value '$(metric leasehold_ddns_conflicts_total)'"
    fi
    if has "$BIND_ADDR" "alpha.$FWD" A "${ADDR[c1]}" &&
      has "$BIND_ADDR" "alpha.$FWD" DHCID "$(dhcid 0 "$(hex_mac "${MAC[c1]}")" "alpha.$FWD")"; then
      pass 4-conflict "alpha.$FWD still c1's (check-with-dhcid)"
    else
      fail 4-conflict "alpha.$FWD still c1's (check-with-dhcid)" "A '$(dns "$BIND_ADDR" "alpha.$FWD" A || true)', c1 ${ADDR[c1]}, c2 ${ADDR[c2]}"
    fi
    if gone "$BIND_ADDR" "$(ptr_name "${ADDR[c2]}")" PTR; then
      pass 4-conflict "no PTR for c2 ${ADDR[c2]} (the loser of a conflict gets none)"
    else
      fail 4-conflict "no PTR for c2 ${ADDR[c2]} (the loser of a conflict gets none)" "PTR '$(dns "$BIND_ADDR" "$(ptr_name "${ADDR[c2]}")" PTR || true)'"
    fi
    # c2's release must not remove what is c1's (the removal is guarded by c2's DHCID).
    client_release c2
    if holds 3 has "$BIND_ADDR" "alpha.$FWD" A "${ADDR[c1]}"; then
      pass 4-conflict "alpha.$FWD still c1's after c2's release"
    else
      fail 4-conflict "alpha.$FWD still c1's after c2's release" "A '$(dns "$BIND_ADDR" "alpha.$FWD" A || true)'"
    fi
  fi
  restart_server no-check-with-dhcid "$WORK/leasehold.key" "$BIND_ADDR"
  # Whatever converging after the restart does is done before the newcomer asks.
  wait_for 30 metric_eq leasehold_ddns_pending 0 || true
  client_conf c3 'send host-name "alpha";'
  if start_bound 4-conflict c3; then
    if wait_for 20 has "$BIND_ADDR" "alpha.$FWD" A "${ADDR[c3]}"; then
      pass 4-conflict "alpha.$FWD taken over by c3 (no-check-with-dhcid)"
    else
      fail 4-conflict "alpha.$FWD taken over by c3 (no-check-with-dhcid)" "A '$(dns "$BIND_ADDR" "alpha.$FWD" A || true)', c3 ${ADDR[c3]}"
    fi
    client_release c3
  fi
  client_release c1
}
# 5. A wrong TSIG key: DHCP unaffected, nothing in DNS, the failure counted, alerted and logged.
test_wrong_key() {
  local named_before server_before
  named_before=$(wc -l <"$WORK/named.log")
  server_before=$(wc -l <"$WORK/server.log")
  restart_server check-with-dhcid "$WORK/wrong.key" "$BIND_ADDR"
  client_conf c2 'send host-name "delta";'
  start_bound 5-wrong-key c2 || return 0
  pass 5-wrong-key "c2 bound ${ADDR[c2]} (DHCP unaffected)"
  if wait_for 20 metric_ge leasehold_ddns_updates_failed_total 1; then
    pass 5-wrong-key "leasehold_ddns_updates_failed_total > 0"
  else
    fail 5-wrong-key "leasehold_ddns_updates_failed_total > 0" "value '$(metric leasehold_ddns_updates_failed_total)'"
  fi
  if gone "$BIND_ADDR" "delta.$FWD" A && gone "$BIND_ADDR" "$(ptr_name "${ADDR[c2]}")" PTR; then
    pass 5-wrong-key "no delta.$FWD records"
  else
    fail 5-wrong-key "no delta.$FWD records" "A '$(dns "$BIND_ADDR" "delta.$FWD" A || true)'"
  fi
  if wait_for 10 alert_active "$BIND_ADDR:53"; then
    pass 5-wrong-key "alert ddns_refused:$BIND_ADDR:53"
  else
    fail 5-wrong-key "alert ddns_refused:$BIND_ADDR:53" "alerts: $(alerts | head -c 300 || true)"
  fi
  if tail -n +$((named_before + 1)) "$WORK/named.log" | grep -qiE 'badsig|tsig verify failure|invalid signature'; then
    pass 5-wrong-key "named logged the bad signature"
  else
    fail 5-wrong-key "named logged the bad signature" "nothing in $WORK/named.log"
  fi
  if tail -n +$((server_before + 1)) "$WORK/server.log" | grep -iE 'refused|notauth' | grep -qF "$BIND_ADDR"; then
    pass 5-wrong-key "Leasehold logged the refusal naming $BIND_ADDR"
  else
    fail 5-wrong-key "Leasehold logged the refusal naming $BIND_ADDR" "no 'refused'/'NOTAUTH' line with $BIND_ADDR in $WORK/server.log"
  fi
}
# 6. The right key again: the lease made meanwhile converges. Then BIND is down DOWN_SECS: DHCP
# keeps answering, and the update made meanwhile reaches BIND after its restart.
test_bind_down() {
  local t0
  t0=$(now)
  restart_server check-with-dhcid "$WORK/leasehold.key" "$BIND_ADDR"
  if [[ -n ${ADDR[c2]:-} ]]; then
    if wait_for "$CONVERGE_SECS" has "$BIND_ADDR" "delta.$FWD" A "${ADDR[c2]}"; then
      pass 6-converge "delta.$FWD A ${ADDR[c2]} after the restart with the right key"
      figure "6-converge delta.$FWD: A in DNS $(since "$t0") s after Leasehold's restart"
    else
      fail 6-converge "delta.$FWD A ${ADDR[c2]} after the restart with the right key" "not within $CONVERGE_SECS s"
    fi
  fi
  local down_at; down_at=$(now)
  stop_bind
  client_conf c1 'send host-name "epsilon";'
  if start_bound 6-bind-down c1; then
    pass 6-bind-down "c1 bound ${ADDR[c1]} while BIND is down"
  else
    start_bind
    return
  fi
  local pending; pending=$(metric leasehold_ddns_pending)
  figure "6-bind-down leasehold_ddns_pending ${pending:-absent} while BIND is down"
  # The outage itself lasts DOWN_SECS: a deliberate wait, not a poll.
  local rest; rest=$(awk -v d="$DOWN_SECS" -v s="$(since "$down_at")" 'BEGIN { r = d - s; print (r > 0 ? r : 0) }')
  sleep "$rest"
  local up_at; up_at=$(now)
  start_bind
  if [[ -n ${ADDR[c2]:-} ]]; then
    if has "$BIND_ADDR" "delta.$FWD" A "${ADDR[c2]}"; then
      pass 6-bind-down "delta.$FWD kept over BIND's restart (journal)"
    else
      fail 6-bind-down "delta.$FWD kept over BIND's restart (journal)" "A '$(dns "$BIND_ADDR" "delta.$FWD" A || true)'"
    fi
  fi
  if wait_for "$CONVERGE_SECS" has "$BIND_ADDR" "epsilon.$FWD" A "${ADDR[c1]}"; then
    pass 6-bind-down "epsilon.$FWD A ${ADDR[c1]} after BIND is back"
    figure "6-bind-down epsilon.$FWD: A in DNS $(since "$up_at") s after named's restart ($(since "${BOUND_AT[c1]}") s after the ACK)"
  else
    fail 6-bind-down "epsilon.$FWD A ${ADDR[c1]} after BIND is back" "not within $CONVERGE_SECS s"
  fi
}
# 7. Knot DNS, the same key: add on ACK, remove on release.
test_knot() {
  restart_server check-with-dhcid "$WORK/leasehold.key" "$KNOT_ADDR"
  client_conf c3 'send host-name "zeta";'
  start_bound 7-knot c3 || return 0
  pass 7-knot "c3 bound ${ADDR[c3]}"
  check_records 7-knot "$KNOT_ADDR" "zeta.$FWD" c3 0 "$(hex_mac "${MAC[c3]}")"
  release_and_check_gone 7-knot "$KNOT_ADDR" "zeta.$FWD" c3
}
test_server_alive() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then pass leasehold still-running; else fail leasehold still-running "exited (see $WORK/server.log)"; fi
  if grep -q 'panicked' "$WORK/server.log"; then fail leasehold no-panic "$(grep -m1 panicked "$WORK/server.log")"; fi
}
# No package service runs: every named/knotd on the machine was started with a configuration
# outside /etc (ours, or another test's on this shared machine), and ours are in our namespace.
test_no_package_daemons() {
  local ours bad="" p args
  ours=" $(ip netns pids "$NS_DNS" | tr '\n' ' ') "
  for p in $(pgrep -x named || true) $(pgrep -x knotd || true); do
    args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
    if [[ $args == *"$WORK/"* ]]; then
      [[ $ours == *" $p "* ]] || bad+="$p (ours, outside $NS_DNS) "
    elif [[ ! $args =~ (^| )-c\ /[^\ ]+ || $args =~ (^| )-c\ /etc/ ]]; then
      bad+="$p ($args) "
    fi
  done
  if [[ -z $bad ]]; then pass dns no-package-daemon; else fail dns no-package-daemon "${bad% }"; fi
}

# ---------------------------------------------------------------- main
echo "ddns: mode=$([[ $DNS_ONLY == 1 ]] && echo dns-only || echo full) work=$WORK namespaces=lhd-*-$TAG"
STARTED=$SECONDS
topology
make_keys
write_bind
write_knot
start_bind
start_knot
if [[ $DNS_ONLY == 1 ]]; then
  dns_only
else
  start_server check-with-dhcid "$WORK/leasehold.key" "$BIND_ADDR"
  test_add
  test_release
  test_expiry
  test_conflict
  test_wrong_key
  test_bind_down
  test_knot
  test_server_alive
fi
test_no_package_daemons
figure "run time $((SECONDS - STARTED)) s"
netns_summary
