#!/usr/bin/env bash
# End-to-end relay tests: real clients behind a relay, in network namespaces this script creates
# (names lhr-<pid>-*, addresses only from 198.18.0.0/15) and removes on exit, also on failure.
#
#   client ns (lhr-N-c)          router ns (lhr-N-r)                      server ns (lhr-N-s)
#   c0 ── link A ── ra 198.18.20.1/24   [relay]   rb 198.18.21.254/24 ── link B ── sb 198.18.21.1/24
#
# Flows (each prints `PASS <flow>` or `FAIL <flow> — why`):
#   dhclient, udhcpc               lease on 198.18.20.0/24 through `leasehold relay` from `leasehold serve`
#   option82-keyed-reservation     the server matched the relay's circuit id + remote id (reservation .7)
#   option82-circuit-options       options of the port's [[subnet.circuit]] table reach the client
#   option82-at-server             requests on link B carry option 82; the server echoes it (RFC 3046 §2.2)
#   option82-stripped              no reply on link A carries option 82
#   renew-server-id-override       option 54 is the relay (RFC 5107); the renewal ACK comes through it and
#                                  the lease expiry in the database moved
#   kea-behind-leasehold-relay     kea-dhcp4 leases through our relay
#   leasehold-behind-dhcrelay      ISC dhcrelay in front of the Leasehold server
#   leasehold-behind-dnsmasq-relay dnsmasq --dhcp-relay in front of the Leasehold server
#   allowed-relays-drop            a server whose allowed_relays excludes the relay drops with relay_not_allowed
#
# Usage: sudo [LEASEHOLD_BIN=target/debug/leasehold] [KEEP=1] tests/e2e/relay.sh
# Last line: `N passed, M failed`; exit status non-zero on any failure or missing prerequisite.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${LEASEHOLD_BIN:-$ROOT/target/debug/leasehold}
KEEP=${KEEP:-0}

NETNS_NAME=relay-e2e
NETNS_KEPT="logs and captures"
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$HERE/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/client_scripts.sh
. "$HERE/../lib/client_scripts.sh"

netns_require_root ""
need ip iproute2
need ss iproute2
need timeout coreutils
need dhclient isc-dhcp-client
need busybox busybox
need tshark tshark
need dhcrelay isc-dhcp-relay
need kea-dhcp4 kea-dhcp4-server
need dnsmasq dnsmasq-base
[[ -x $BIN ]] || die "no Leasehold binary at $BIN: run 'cargo build -p leasehold' or set LEASEHOLD_BIN="

TAG=$$
NS_C=lhr-$TAG-c
NS_R=lhr-$TAG-r
NS_S=lhr-$TAG-s
WORK=$(mktemp -d "/tmp/lhr-e2e-$TAG.XXXX")
chmod 755 "$WORK"
netns_init

# ---------------------------------------------------------------- topology
addns "$NS_C"; addns "$NS_R"; addns "$NS_S"
veth "$NS_R" ra "$NS_C" c0
veth "$NS_R" rb "$NS_S" sb
ip -n "$NS_R" addr add 198.18.20.1/24 dev ra
ip -n "$NS_R" addr add 198.18.21.254/24 dev rb
ip -n "$NS_R" link set ra up
ip -n "$NS_R" link set rb up
x "$NS_R" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NS_S" addr add 198.18.21.1/24 dev sb
ip -n "$NS_S" link set sb up
ip -n "$NS_S" route add 198.18.20.0/24 via 198.18.21.254
ip -n "$NS_C" link set c0 address 02:00:00:00:20:01 up
wait_for 10 bash -c "ip -n $NS_S -o addr show sb | grep -q 198.18.21.1 && ! ip -n $NS_S -o addr show sb | grep -q tentative" ||
  die "link B did not come up"

# ---------------------------------------------------------------- configs
write_server_config() { # ALLOWED-RELAYS-TOML-ARRAY
  cat >"$WORK/server.toml" <<EOF
[server]
interfaces = ["sb"]
allowed_relays = $1
[server.options]
domain-name-servers = ["198.18.21.53"]

[[subnet]]
subnet = "198.18.21.0/24"
interface = "sb"
[[subnet.pool]]
range = "198.18.21.100-198.18.21.199"

[[subnet]]
subnet = "198.18.20.0/24"
lease_time = 40
renewal_time = 8
rebinding_time = 35
[subnet.options]
router = "198.18.20.1"
[[subnet.pool]]
range = "198.18.20.100-198.18.20.199"
[[subnet.reservation]]
circuit_id = "eth0/7"
remote_id = "switch-x"
address = "198.18.20.7"
[[subnet.circuit]]
circuit_id = "eth0/7"
[subnet.circuit.options]
ntp-servers = "198.18.20.123"
EOF
  timeout 20 "$BIN" check-config "$WORK/server.toml" >"$WORK/check-config.log" 2>&1 ||
    die "check-config rejected the server config: $(cat "$WORK/check-config.log")"
}

cat >"$WORK/relay.toml" <<'EOF'
[relay]
listen = ["ra"]
servers = ["198.18.21.1"]
remote_id = "switch-x"
[relay.circuit_ids]
ra = "eth0/7"
EOF

SERVER_PID=
start_server() { # LOG-LEVEL
  ip netns exec "$NS_S" env RUST_LOG="$1" timeout 600 "$BIN" serve --config "$WORK/server.toml" --db "$WORK/leases.db" \
    >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for 20 port_open "$NS_S" 67 || die "leasehold serve did not open port 67 (see $WORK/server.log)"
}
stop_server() { stop "$SERVER_PID"; wait_for 10 port_free "$NS_S" 67 || die "port 67 still busy in server ns"; }

RELAY_PID=
start_leasehold_relay() {
  ip netns exec "$NS_R" env RUST_LOG=debug timeout 600 "$BIN" relay --config "$WORK/relay.toml" --server-id-override \
    >>"$WORK/relay.log" 2>&1 &
  RELAY_PID=$!
  PIDS+=("$RELAY_PID")
  wait_for 20 port_open "$NS_R" 67 || die "leasehold relay did not open port 67 (see $WORK/relay.log)"
}

CAP_PID=
start_capture() { # NS IFACE FILE
  ip netns exec "$1" timeout 600 tshark -q -n -i "$2" -f 'udp port 67 or udp port 68' -w "$3" >"$3.log" 2>&1 &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  wait_for 20 grep -q "Capturing on" "$3.log" || die "tshark did not start on $2"
}
stop_capture() { # PID
  stop "$1"
}
count() { # FILE FILTER -> number of matching frames
  timeout 60 tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l
}

# Client event scripts: one line per event, reason|ip|mask|routers|lease|server-id.
# shellcheck disable=SC2016 # expanded by the hooks, not here
write_dhclient_script "$WORK/dhclient.sh" "$WORK/dhclient.events" \
  '${reason}|${new_ip_address}|${new_subnet_mask}|${new_routers}|${new_dhcp_lease_time}|${new_dhcp_server_identifier}'
# shellcheck disable=SC2016
write_udhcpc_script "$WORK/udhcpc.sh" "$WORK/udhcpc.events" '$1|${ip}|${subnet}|${router}|${lease}|${serverid}|${ntpsrv}'
printf 'request subnet-mask, broadcast-address, routers, domain-name-servers;\ntimeout 20;\nretry 5;\n' \
  >"$WORK/dhclient.conf"

field() { echo "$1" | cut -d'|' -f"$2"; }
last_event() { grep -E "^($2)\|" "$1" | tail -n 1; }
in_link_a() { [[ $1 =~ ^198\.18\.20\.([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 2 && BASH_REMATCH[1] <= 254)); }

# udhcpc_once MAC [EXTRA] -> prints the bound line, 0 when bound
udhcpc_once() {
  local mac=$1; shift
  x "$NS_C" ip addr flush dev c0
  ip -n "$NS_C" link set c0 address "$mac"
  : >"$WORK/udhcpc.events"
  timeout 30 ip netns exec "$NS_C" busybox udhcpc -f -q -n -t 4 -T 2 -A 1 -i c0 -s "$WORK/udhcpc.sh" "$@" \
    >>"$WORK/udhcpc.log" 2>&1 || true
  local line
  line=$(last_event "$WORK/udhcpc.events" bound)
  [[ -n $line ]] && echo "$line"
  [[ -n $line ]]
}

# expiry ADDR -> the lease's expiry (Unix seconds) from the database
expiry() {
  timeout 10 "$BIN" leases --db "$WORK/leases.db" show "$1" --format json 2>/dev/null |
    grep -o '"expires"[^,}]*' | head -n 1 | grep -o '[0-9]\+'
}

# ---------------------------------------------------------------- phase 1: Leasehold relay + server
write_server_config '["198.18.20.1"]'
start_server debug
start_leasehold_relay
start_capture "$NS_C" c0 "$WORK/link-a.pcapng"; CAP_A=$CAP_PID
start_capture "$NS_S" sb "$WORK/link-b.pcapng"; CAP_B=$CAP_PID

# dhclient: lease, keyed reservation, server id override, renewal through the relay.
: >"$WORK/dhclient.events"
ip netns exec "$NS_C" timeout 300 dhclient -4 -d -v -cf "$WORK/dhclient.conf" -lf "$WORK/dhclient.leases" \
  -pf "$WORK/dhclient.pid" -sf "$WORK/dhclient.sh" c0 >>"$WORK/dhclient.log" 2>&1 &
DHCLIENT_PID=$!
PIDS+=("$DHCLIENT_PID")
if wait_for 25 grep -q '^BOUND|' "$WORK/dhclient.events"; then
  line=$(last_event "$WORK/dhclient.events" BOUND)
  addr=$(field "$line" 2)
  if in_link_a "$addr"; then pass dhclient; else fail dhclient "bound to '$addr', not on 198.18.20.0/24"; fi
  if [[ $addr == 198.18.20.7 ]]; then
    pass option82-keyed-reservation
  else
    fail option82-keyed-reservation "got $addr, not the circuit_id+remote_id reservation 198.18.20.7"
  fi
  sid=$(field "$line" 6)
  before=$(expiry "$addr" || true)
  if [[ $sid != 198.18.20.1 ]]; then
    fail renew-server-id-override "server id in the ACK is '$sid', not the relay 198.18.20.1 (RFC 5107)"
  elif ! wait_for 25 grep -q '^RENEW|' "$WORK/dhclient.events"; then
    fail renew-server-id-override "no RENEW within 25 s (T1 = 8 s); see $WORK/dhclient.log"
  else
    line=$(last_event "$WORK/dhclient.events" RENEW)
    sleep 0.5
    after=$(expiry "$addr" || true)
    if [[ $(field "$line" 2) != "$addr" || $(field "$line" 6) != 198.18.20.1 ]]; then
      fail renew-server-id-override "renewal gave '$line'"
    elif [[ -z $before || -z $after ]] || ((after <= before)); then
      fail renew-server-id-override "lease expiry did not move (before '$before', after '$after')"
    else
      pass renew-server-id-override
    fi
  fi
else
  fail dhclient "no lease within 25 s (see $WORK/dhclient.log, $WORK/server.log, $WORK/relay.log)"
  fail option82-keyed-reservation "no lease"
  fail renew-server-id-override "no lease"
fi
stop "$DHCLIENT_PID"
x "$NS_C" ip addr flush dev c0

# udhcpc, another MAC on the same port: while dhclient's lease of .7 lasts it gets a pool address,
# and the options of the port's [[subnet.circuit]] table (NTP server).
if line=$(udhcpc_once 02:00:00:00:20:02 -O ntpsrv); then
  addr=$(field "$line" 2)
  if in_link_a "$addr"; then pass udhcpc; else fail udhcpc "bound to '$addr', not on 198.18.20.0/24"; fi
  if [[ $(field "$line" 7) == 198.18.20.123 ]]; then
    pass option82-circuit-options
  else
    fail option82-circuit-options "NTP server '$(field "$line" 7)', want 198.18.20.123 from [[subnet.circuit]]"
  fi
else
  fail udhcpc "no lease (see $WORK/udhcpc.log)"
  fail option82-circuit-options "no lease"
fi

stop_capture "$CAP_A"
stop_capture "$CAP_B"
replies_a=$(count "$WORK/link-a.pcapng" 'dhcp.option.dhcp == 2 || dhcp.option.dhcp == 5')
with82_a=$(count "$WORK/link-a.pcapng" '(dhcp.option.dhcp == 2 || dhcp.option.dhcp == 5) && dhcp.option.type == 82')
if ((replies_a > 0 && with82_a == 0)); then
  pass option82-stripped
else
  fail option82-stripped "$replies_a replies on link A, $with82_a of them with option 82"
fi
req_b=$(count "$WORK/link-b.pcapng" \
  'ip.dst == 198.18.21.1 && dhcp.option.agent_information_option.agent_circuit_id contains "eth0/7" && dhcp.option.agent_information_option.agent_remote_id contains "switch-x"')
echo_b=$(count "$WORK/link-b.pcapng" \
  'ip.src == 198.18.21.1 && dhcp.option.dhcp == 5 && dhcp.option.agent_information_option.agent_circuit_id contains "eth0/7" && dhcp.option.agent_information_option.server_id_override == 198.18.20.1')
if ((req_b > 0 && echo_b > 0)); then
  pass option82-at-server
else
  fail option82-at-server "requests with circuit/remote id on link B: $req_b; ACKs echoing option 82: $echo_b"
fi

# ---------------------------------------------------------------- phase 2: kea-dhcp4 behind our relay
stop_server
cat >"$WORK/kea.json" <<EOF
{ "Dhcp4": {
    "interfaces-config": { "interfaces": ["sb"], "dhcp-socket-type": "udp" },
    "lease-database": { "type": "memfile", "persist": false, "name": "$WORK/kea-leases.csv" },
    "valid-lifetime": 120,
    "subnet4": [ { "id": 20, "subnet": "198.18.20.0/24",
                   "pools": [ { "pool": "198.18.20.150 - 198.18.20.160" } ],
                   "option-data": [ { "name": "routers", "data": "198.18.20.1" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stdout" } ], "severity": "INFO" } ]
} }
EOF
ip netns exec "$NS_S" env KEA_PIDFILE_DIR="$WORK" KEA_LOCKFILE_DIR="$WORK" timeout 300 kea-dhcp4 -c "$WORK/kea.json" \
  >>"$WORK/kea.log" 2>&1 &
KEA_PID=$!
PIDS+=("$KEA_PID")
if ! wait_for 20 port_open "$NS_S" 67; then
  fail kea-behind-leasehold-relay "kea-dhcp4 did not open port 67 (see $WORK/kea.log)"
elif line=$(udhcpc_once 02:00:00:00:20:03); then
  addr=$(field "$line" 2)
  if [[ $addr =~ ^198\.18\.20\.(15[0-9]|160)$ ]]; then
    pass kea-behind-leasehold-relay
  else
    fail kea-behind-leasehold-relay "bound to '$addr', not from Kea's pool 198.18.20.150-160"
  fi
else
  fail kea-behind-leasehold-relay "no lease (see $WORK/kea.log, $WORK/relay.log)"
fi
stop "$KEA_PID"
wait_for 10 port_free "$NS_S" 67 || die "kea still holds port 67"

# ---------------------------------------------------------------- phase 3: ISC dhcrelay in front of Leasehold
stop "$RELAY_PID"
wait_for 10 port_free "$NS_R" 67 || die "leasehold relay still holds port 67"
start_server debug
ip netns exec "$NS_R" timeout 300 dhcrelay -4 -d -id ra -iu rb 198.18.21.1 >>"$WORK/dhcrelay.log" 2>&1 &
DHCRELAY_PID=$!
PIDS+=("$DHCRELAY_PID")
if ! wait_for 20 grep -qi "Sending on\|Listening on" "$WORK/dhcrelay.log"; then
  fail leasehold-behind-dhcrelay "dhcrelay did not start (see $WORK/dhcrelay.log)"
elif line=$(udhcpc_once 02:00:00:00:20:04); then
  addr=$(field "$line" 2)
  if [[ $addr =~ ^198\.18\.20\.1[0-9][0-9]$ ]]; then
    pass leasehold-behind-dhcrelay
  else
    fail leasehold-behind-dhcrelay "bound to '$addr', not from Leasehold's pool 198.18.20.100-199"
  fi
else
  fail leasehold-behind-dhcrelay "no lease (see $WORK/dhcrelay.log, $WORK/server.log)"
fi

# ---------------------------------------------------------------- phase 3b: dnsmasq --dhcp-relay in front of Leasehold
stop "$DHCRELAY_PID"
wait_for 10 port_free "$NS_R" 67 || die "dhcrelay still holds port 67"
ip netns exec "$NS_R" timeout 300 dnsmasq --no-daemon --conf-file=/dev/null --port=0 --pid-file= --log-dhcp \
  --interface=ra --interface=rb --dhcp-relay=198.18.20.1,198.18.21.1 >>"$WORK/dnsmasq-relay.log" 2>&1 &
DHCRELAY_PID=$!
PIDS+=("$DHCRELAY_PID")
if ! wait_for 20 port_open "$NS_R" 67; then
  fail leasehold-behind-dnsmasq-relay "dnsmasq did not open port 67 (see $WORK/dnsmasq-relay.log)"
elif line=$(udhcpc_once 02:00:00:00:20:06); then
  addr=$(field "$line" 2)
  if [[ $addr =~ ^198\.18\.20\.1[0-9][0-9]$ ]]; then
    pass leasehold-behind-dnsmasq-relay
  else
    fail leasehold-behind-dnsmasq-relay "bound to '$addr', not from Leasehold's pool 198.18.20.100-199"
  fi
else
  fail leasehold-behind-dnsmasq-relay "no lease (see $WORK/dnsmasq-relay.log, $WORK/server.log)"
fi

# ---------------------------------------------------------------- phase 4: allow-list refuses the relay
stop_server
write_server_config '["198.18.99.1"]'
: >"$WORK/server.log"
start_server debug
if line=$(udhcpc_once 02:00:00:00:20:05 -t 2 -T 1); then
  fail allowed-relays-drop "got a lease through a relay that is not allowed: $line"
elif grep -q 'relay_not_allowed' "$WORK/server.log"; then
  pass allowed-relays-drop
else
  fail allowed-relays-drop "no lease, but no relay_not_allowed in $WORK/server.log"
fi
stop "$DHCRELAY_PID"
stop_server

netns_summary
