#!/usr/bin/env bash
# Several Leasehold servers sharing one PostgreSQL lease store, against real DHCP clients, all in
# network namespaces this script creates (addresses only from 198.19.40.0/21) and removes on exit.
# PostgreSQL runs in the root namespace on unix sockets in the work directory (sockets are files:
# every namespace reaches them) plus 127.0.0.1 for the password test; never on a real interface.
#
#   sudo tests/cluster/run.sh                   # against target/debug/leasehold
#   sudo LEASEHOLD=/path/to/leasehold KEEP=1 tests/cluster/run.sh
#   sudo PERF_RATE=300 PERF_SECONDS=30 PERF_CLIENTS=1000 tests/cluster/run.sh
#
# Cases (tests/cluster/README.md): a. two servers, one pool, dhclient + udhcpc; g. wrong password,
# another program's database; b. three servers under perfdhcp, no double allocation (SQL over the
# history); c. kill -9 a server, its clients rebind to another; d. PostgreSQL down 10 s and back;
# e. primary killed, replica promoted; f. server started while the database is down.
# Prints `PASS <case> <check>` / `FAIL <case> <check> — why` per check, then `N passed, M failed`;
# exits non-zero on any failure or missing prerequisite.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LEASEHOLD=${LEASEHOLD:-$ROOT/target/debug/leasehold}
KEEP=${KEEP:-0}                       # 1: keep the work directory (logs, cluster data)
PERF_RATE=${PERF_RATE:-200}           # perfdhcp exchanges/s (case b)
PERF_SECONDS=${PERF_SECONDS:-30}      # perfdhcp test period
PERF_CLIENTS=${PERF_CLIENTS:-1000}    # distinct perfdhcp clients (the pool holds ~1,900)
OUTAGE=${OUTAGE:-10}                  # seconds PostgreSQL is down in case d

NETNS_NAME=cluster
NETNS_SETTLE=0.5
NETNS_KEPT="logs and cluster data"
# shellcheck source-path=SCRIPTDIR source=../lib/netns.sh
. "$HERE/../lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/client_scripts.sh
. "$HERE/../lib/client_scripts.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/pg.sh
. "$HERE/../lib/pg.sh"

netns_require_root ": sudo $0"
need ip iproute2
need ss iproute2
need bridge iproute2
need timeout coreutils
need dhclient isc-dhcp-client
need busybox busybox
need perfdhcp kea-admin
need curl curl
need runuser util-linux
pg__check || die "missing prerequisite PostgreSQL (Debian package: postgresql)"
[[ -x $LEASEHOLD ]] || die "no Leasehold binary at $LEASEHOLD: run 'cargo build -p leasehold' or set LEASEHOLD="
for v in PERF_RATE PERF_SECONDS PERF_CLIENTS OUTAGE; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number, not '${!v}'"
done

# ---------------------------------------------------------------- names, state, cleanup
TAG=$$
NS_BR=lhk-br-$TAG
ns() { echo "lhk-$1-$TAG"; }           # namespace of a server (s1..s3), client or tool
SERVERS=(s1 s2 s3)
declare -A SRV_ADDR=([s1]=198.19.40.2 [s2]=198.19.40.3 [s3]=198.19.40.4)
declare -A SRV_PID=()
CLIENTS=(c1 c2 c3 c4 c5 c6)            # case a: c1-c3 dhclient, c4-c6 udhcpc (kept running)
declare -A MAC=()
declare -A CPID=()                     # client -> PID of its long-running DHCP client
WORK=$(mktemp -d "/tmp/lh-cluster-$TAG.XXXX")
chmod 711 "$WORK"                      # PostgreSQL runs as user postgres and lives in $WORK/pg*
netns_init
PG_DIRS=()
cluster_cleanup() {
  local rc=$? s d
  set +e
  for s in "${!SRV_PID[@]}"; do kill "${SRV_PID[$s]}" 2>/dev/null; done
  for d in "${PG_DIRS[@]}"; do pg_stop_immediate "$d" 2>/dev/null; done
  (exit "$rc")
  netns_cleanup
}
trap cluster_cleanup EXIT

# passd WORDS... DETAIL: `PASS WORDS... (DETAIL)`, the detail cut to 200 characters.
passd() { pass "${@:1:$#-1}" "($(cut -c1-200 <<<"${!#}"))"; }

# Case timings, printed at the end.
CASE_T0=$SECONDS
CASE_NAME=""
TIMES=()
case_begin() { CASE_NAME=$1; CASE_T0=$SECONDS; echo "== case $1"; }
case_end() { TIMES+=("$CASE_NAME $((SECONDS - CASE_T0)) s"); }

# ---------------------------------------------------------------- PostgreSQL
# Primary in $WORK/pg, hot standby in $WORK/pg2 (both unix sockets + 127.0.0.1). Commits wait for
# the standby (synchronous_standby_names = '*'): with asynchronous replication a lease ACKed just
# before the primary dies could be missing after the promotion, which case e checks never happens.
PG1=$WORK/pg
PG2=$WORK/pg2
start_databases() {
  PORT1=$(pg_free_port 25432) || die "no free port for PostgreSQL"
  pg_start "$PG1" "$PORT1" 127.0.0.1 >/dev/null || die "PostgreSQL primary did not start (see $PG1/log)"
  PG_DIRS+=("$PG1")
  PORT2=$(pg_free_port $((PORT1 + 1))) || die "no free port for the standby"
  pg_start_replica "$PG1" "$PORT1" "$PG2" "$PORT2" 127.0.0.1 || die "PostgreSQL standby did not start (see $PG2/log)"
  PG_DIRS+=("$PG2")
  pg_psql "$PG1" "$PORT1" "ALTER SYSTEM SET synchronous_standby_names = '*'" "SELECT pg_reload_conf()" >/dev/null
  wait_for 20 pg_sync_ready || die "the standby did not become synchronous within 20 s"
  local h1 h2
  h1=$(pg_socket_url "$PG1" "$PORT1"); h1=${h1#*@}; h1=${h1%%/*}
  h2=$(pg_socket_url "$PG2" "$PORT2"); h2=${h2#*@}; h2=${h2%%/*}
  # Both hosts; the servers pick the one that accepts writes.
  URL="postgresql://$PG_USER:$PG_PASSWORD@$h1,$h2/$PG_DB?target_session_attrs=read-write"
  LIVE_DIR=$PG1
  LIVE_PORT=$PORT1
}
pg_sync_ready() {
  [[ $(pg_psql "$PG1" "$PORT1" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") -ge 1 ]]
}
# q SQL: one query against the live (writable) cluster, as the admin; unaligned, `|`-separated.
q() { PG_QUERY_TIMEOUT=30 pg_psql "$LIVE_DIR" "$LIVE_PORT" "$1"; }
# SQL text of a dotted address from a BIGINT column.
dotted() { echo "((($1 >> 24) & 255)::text || '.' || (($1 >> 16) & 255)::text || '.' || (($1 >> 8) & 255)::text || '.' || ($1 & 255)::text)"; }

# ---------------------------------------------------------------- topology
#   lhk-s1..s3: eth0 198.19.40.2-4/21 (Leasehold) ─┐
#   lhk-c*, lhk-k*, lhk-n*: eth0 (DHCP clients) ──┤ br0 in lhk-br
#   lhk-pf: eth0 198.19.40.9/21 (perfdhcp) ───────┘
#   lhk-x: lo only (the foreign-database start-up check of case g)
N_PORTS=0
plug() { # NAME MAC [ADDR]
  addns "$(ns "$1")"
  bridge_plug "$NS_BR" "$(ns "$1")" eth0 "p-$1" "$2"
  MAC[$1]=$2
  if [[ -n ${3:-} ]]; then ip -n "$(ns "$1")" addr add "$3/21" dev eth0; fi
  N_PORTS=$((N_PORTS + 1))
}
topology() {
  addns "$NS_BR"
  bridge_add "$NS_BR"
  local i=0 s c
  for s in "${SERVERS[@]}"; do
    i=$((i + 1)); plug "$s" "02:00:00:00:4f:0$i" "${SRV_ADDR[$s]}"
  done
  i=0
  for c in "${CLIENTS[@]}"; do i=$((i + 1)); plug "$c" "02:00:00:00:40:0$i"; done
  plug k1 02:00:00:00:41:01
  plug k2 02:00:00:00:41:02
  for i in 1 2 3 4; do plug "n$i" "02:00:00:00:42:0$i"; done
  plug pf 02:00:00:00:4e:01 198.19.40.9
  addns "$(ns x)"
  wait_for 10 bridge_ready "$NS_BR" "$N_PORTS" ||
    die "topology: bridge ports did not reach forwarding state in 10 s"
}

# ---------------------------------------------------------------- servers
# The long-lived clients of case a renew at T1 150 s: a server killed (case c) or a database down
# (case d) for tens of seconds must not take their addresses away. The case c clients ask for
# short leases (option 51: T1 10 s, T2 17.5 s); k1 stays on through case d, where its renewal
# falls into the outage.
LEASE_TIME=300
SHORT_LEASE=20
write_server_config() { # SERVER [URL]
  local s=$1 url=${2:-$URL}
  cat >"$WORK/$s.toml" <<EOF
[server]
interfaces = ["eth0"]
server_port = 67
client_port = 68
lease_time = $LEASE_TIME

[server.options]
domain-name-servers = ["198.19.40.53"]
domain-name = "cluster.test"

[store]
backend = "postgres"
url = "$url"
server_id = "$s"

[control]
listen = "127.0.0.1:8067"

# perfdhcp's 1,000 new clients are exactly what the starvation defence holds back; this suite
# tests the shared store, so the defence is off. The other servers are expected on the link.
[security]
pressure = false
allowed_servers = ["${SRV_ADDR[s1]}", "${SRV_ADDR[s2]}", "${SRV_ADDR[s3]}"]

[[subnet]]
subnet = "198.19.40.0/21"
[subnet.options]
router = "198.19.40.1"
[[subnet.pool]]
range = "198.19.40.100-198.19.47.200"
EOF
}
# launch_server SERVER: serve in its namespace, log appended to $WORK/SERVER.log; no wait.
# Background jobs here call `ip netns exec` directly, not the x function: `x ... &` forks a
# subshell, so $! would be that shell's PID and a kill -9 would miss the server.
launch_server() {
  local s=$1
  [[ -f $WORK/$s.toml ]] || write_server_config "$s"
  echo "---- started $(date +%T)" >>"$WORK/$s.log"
  ip netns exec "$(ns "$s")" env RUST_LOG="${RUST_LOG:-info}" "$LEASEHOLD" serve --config "$WORK/$s.toml" \
    >>"$WORK/$s.log" 2>&1 &
  SRV_PID[$s]=$!
  PIDS+=("$!")
}
# server_up SERVER: listening on UDP 67 and its control API answering.
server_up() {
  port_open "$(ns "$1")" 67 &&
    x "$(ns "$1")" curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:8067/metrics
}
start_server() { # SERVER
  local s=$1
  launch_server "$s"
  if ! wait_for 30 server_up "$s"; then
    tail -n 20 "$WORK/$s.log" >&2
    die "server $s did not come up within 30 s (log: $WORK/$s.log)"
  fi
}
alive() { kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" | grep -q Z; }
# metric SERVER NAME: the value of an unlabelled metric from the server's /metrics.
# An unreachable metrics endpoint gives an empty value (the caller's check fails), never an exit
# of the whole suite under set -e.
metric() {
  { x "$(ns "$1")" curl -fsS --max-time 5 http://127.0.0.1:8067/metrics 2>/dev/null || true; } |
    awk -v m="$2" '$1 == m || index($1, m "{") == 1 { print $2; exit }'
}
# metric_is SERVER NAME VALUE: the metric equals VALUE as a number ("0.0" is 0).
metric_is() { awk -v v="$(metric "$1" "$2")" -v w="$3" 'BEGIN { exit !(v != "" && v + 0 == w + 0) }'; }
no_panic() { # CASE SERVER...
  local c=$1 s; shift
  for s in "$@"; do
    if grep -q 'panicked' "$WORK/$s.log"; then fail "$c" "$s no-panic" "$(grep -m1 panicked "$WORK/$s.log")"; fi
  done
}

# ---------------------------------------------------------------- clients
# One event per line: reason|address|server-id|lease-time.
# shellcheck disable=SC2016 # expanded by the hook, not here
DHCLIENT_RECORD='${reason}|${new_ip_address}|${new_dhcp_server_identifier}|${new_dhcp_lease_time}'
# shellcheck disable=SC2016
UDHCPC_RECORD='$1|${ip}|${serverid}|${lease}'
field() { echo "$1" | cut -d'|' -f"$2"; }
# held CLIENT: the last address its client was given (empty when none).
held() {
  local line
  line=$(grep -E '^(BOUND|RENEW|REBIND|REBOOT|bound|renew)\|' "$WORK/$1.events" 2>/dev/null | tail -n 1)
  field "$line" 2
}
server_of() {
  local line
  line=$(grep -E '^(BOUND|RENEW|REBIND|REBOOT|bound|renew)\|' "$WORK/$1.events" 2>/dev/null | tail -n 1)
  field "$line" 3
}
bound() { [[ -n $(held "$1") ]]; }
# events_since CLIENT MARK: its events after the first MARK lines.
events_since() { tail -n +$(($2 + 1)) "$WORK/$1.events"; }
# event_since CLIENT MARK REGEX: one of them matches.
event_since() { events_since "$1" "$2" | grep -qE "$3"; }
# acked_elsewhere CLIENT MARK SERVER-ID: since MARK, a RENEW or REBIND ACKed by another server.
acked_elsewhere() {
  events_since "$1" "$2" | awk -F'|' -v s="$3" '($1 == "RENEW" || $1 == "REBIND") && $3 != s { f = 1 } END { exit !f }'
}
# start_dhclient CLIENT [LEASE]: dhclient in the background (asking for LEASE seconds when given).
start_dhclient() {
  local c=$1 d=$WORK/$1
  {
    echo 'request subnet-mask, broadcast-address, routers, domain-name-servers;'
    echo 'timeout 30;'
    echo 'retry 5;'
    # Retransmit every 1-2 s (default: from 10 s up), so a 20 s lease reaches REBINDING at T2
    # instead of expiring between two RENEW retransmissions.
    echo 'initial-interval 1;'
    echo 'backoff-cutoff 2;'
    if [[ -n ${2:-} ]]; then echo "send dhcp-lease-time $2;"; fi
  } >"$d.conf"
  write_dhclient_script "$d.sh" "$d.events" "$DHCLIENT_RECORD"
  ip netns exec "$(ns "$c")" dhclient -4 -d -v -cf "$d.conf" -lf "$d.leases" -pf "$d.pid" -sf "$d.sh" eth0 \
    >>"$d.log" 2>&1 &
  CPID[$c]=$!
  PIDS+=("$!")
}
# start_udhcpc CLIENT: busybox udhcpc in the background, staying on (renews at T1).
start_udhcpc() {
  local c=$1 d=$WORK/$1
  write_udhcpc_script "$d.ush" "$d.events" "$UDHCPC_RECORD"
  ip netns exec "$(ns "$c")" busybox udhcpc -f -i eth0 -t 10 -T 2 -A 2 -s "$d.ush" -O dns -O router -O subnet \
    -O lease >>"$d.log" 2>&1 &
  CPID[$c]=$!
  PIDS+=("$!")
}
# udhcpc_once CLIENT TRIES: one udhcpc that quits when bound or after TRIES DISCOVERs 2 s apart;
# status 0 when bound.
udhcpc_once() {
  local c=$1 d=$WORK/$1
  write_udhcpc_script "$d.ush" "$d.events" "$UDHCPC_RECORD"
  timeout $((3 * $2 + 15)) ip netns exec "$(ns "$c")" busybox udhcpc -f -q -n -t "$2" -T 2 -A 1 -i eth0 \
    -s "$d.ush" -O dns -O router -O subnet -O lease >>"$d.log" 2>&1 || return 1
  bound "$c"
}
stop_client() { # CLIENT
  [[ -n ${CPID[$1]:-} ]] || return 0
  stop "${CPID[$1]}"
  unset "CPID[$1]"
  x "$(ns "$1")" ip addr flush dev eth0 2>/dev/null || true
}
# bound_rows: address|hwaddr|server of every bound lease, from the live cluster.
bound_rows() { q "SELECT address, hwaddr, server FROM leases_readable WHERE state = 'bound' ORDER BY address"; }

# check_clients_in_db CASE CLIENT...: every client's address is one bound lease with its MAC, no
# client holds two, no address is held by two clients.
check_clients_in_db() {
  local cs=$1 c a rows why dup="" n
  shift
  local -A seen=()
  rows=$(bound_rows) || { fail "$cs" leases-in-db "query failed"; return; }
  for c in "$@"; do
    a=$(held "$c")
    why=""
    if [[ -z $a ]]; then
      why="holds no address"
    else
      [[ -n ${seen[$a]:-} ]] && dup+="$a held by ${seen[$a]} and $c; "
      seen[$a]=$c
      grep -qx "$a|${MAC[$c]}|s[0-9]" <<<"$rows" || why="its $a is not a bound lease with MAC ${MAC[$c]} ($(grep "^$a|" <<<"$rows" || echo 'no row'))"
      n=$(grep -c "|${MAC[$c]}|" <<<"$rows" || true)
      ((n <= 1)) || why+="${why:+; }$n bound leases for ${MAC[$c]}"
    fi
    if [[ -z $why ]]; then pass "$cs" "$c lease-in-db"; else fail "$cs" "$c lease-in-db" "$why"; fi
  done
  if [[ -z $dup ]]; then pass "$cs" distinct-addresses; else fail "$cs" distinct-addresses "${dup%; }"; fi
}

# SQL: clients holding more than one bound lease.
SQL_TWO_LEASES="SELECT client, count(*), string_agg($(dotted addr), ' ') FROM leases
  WHERE state = 'bound' GROUP BY client HAVING count(*) > 1"
# SQL: double allocations in the history: two bound versions of one address for different clients
# whose lease times overlap with no release/expiry/decline of the address recorded between them.
SQL_OVERLAP="WITH b AS (SELECT * FROM history WHERE state = 'bound')
  SELECT $(dotted h1.addr), h1.client, h1.server, h1.starts, h1.expires, h2.client, h2.server, h2.starts
  FROM b h1 JOIN b h2 ON h1.addr = h2.addr AND h1.client IS DISTINCT FROM h2.client
  WHERE h1.starts <= h2.starts
    AND h2.starts < coalesce(h1.expires, 9223372036854775807)
    AND NOT EXISTS (SELECT 1 FROM history h3
                    WHERE h3.addr = h1.addr AND h3.state <> 'bound'
                      AND h3.recorded >= h1.recorded AND h3.recorded <= h2.recorded)
  LIMIT 10"

# ================================================================ a: two servers, one pool
case_a() {
  case_begin a
  start_server s1
  start_server s2
  local c
  for c in c1 c2 c3; do start_dhclient "$c"; done
  for c in c4 c5 c6; do start_udhcpc "$c"; done
  for c in "${CLIENTS[@]}"; do
    if wait_for 40 bound "$c"; then pass a "$c bound"; else fail a "$c bound" "no lease within 40 s (see $WORK/$c.log)"; fi
  done
  check_clients_in_db a "${CLIENTS[@]}"
  local servers
  servers=$(for c in "${CLIENTS[@]}"; do server_of "$c"; done | sort -u | tr '\n' ' ')
  figure a "servers that ACKed the clients: $servers"
  local two
  two=$(q "$SQL_TWO_LEASES") || two="query failed"
  if [[ -z $two ]]; then pass a no-client-with-two-leases; else fail a no-client-with-two-leases "$two"; fi
  # The CLI reads the same store.
  local csv n_cli n_sql
  if csv=$(timeout 30 "$LEASEHOLD" leases --store "$URL" list --format csv 2>"$WORK/cli-list.err"); then
    n_cli=$(tail -n +2 <<<"$csv" | grep -c ',bound,' || true)
    n_sql=$(q "SELECT count(*) FROM leases WHERE state = 'bound'")
    if [[ $n_cli == "$n_sql" && $n_cli -ge ${#CLIENTS[@]} ]]; then
      pass a cli-list-from-postgres
    else
      fail a cli-list-from-postgres "CLI lists $n_cli bound, SQL counts $n_sql"
    fi
  else
    fail a cli-list-from-postgres "exit $?: $(head -n 2 "$WORK/cli-list.err" | tr '\n' ' ')"
  fi
  case_end
}

# ================================================================ g: bad input
case_g() {
  case_begin g
  local out rc=0 lines
  out=$(timeout 30 "$LEASEHOLD" leases --store "postgresql://$PG_USER:wrong-password@127.0.0.1:$PORT1/$PG_DB" \
    list --format csv 2>&1) || rc=$?
  echo "$out" >"$WORK/g-wrong-password.log"
  lines=$(grep -c . <<<"$out" || true)
  if ((rc != 0 && rc != 124)) && ! grep -q 'Usage:' <<<"$out" && grep -qiE 'password|authentication' <<<"$out" &&
    ((lines <= 2)); then
    passd g wrong-password "exit $rc: $(head -n 1 <<<"$out")"
  else
    fail g wrong-password "exit $rc, $lines lines: $(head -c 300 <<<"$out")"
  fi
  if grep -q 'wrong-password' <<<"$out"; then fail g password-not-echoed "the error shows the password"; else pass g password-not-echoed; fi

  # Another program's database: a table `leases` of its own.
  pg_psql "$PG1" "$PORT1" "CREATE DATABASE otherapp OWNER $PG_USER" >/dev/null
  PG_DB=otherapp pg_psql "$PG1" "$PORT1" \
    "CREATE TABLE leases (id serial PRIMARY KEY, customer text NOT NULL, car text, since date)" \
    "INSERT INTO leases (customer, car, since) VALUES ('Ada', 'Zoe', '2024-01-02'), ('Bob', 'Golf', '2023-05-06')" \
    "ALTER TABLE leases OWNER TO $PG_USER" >/dev/null
  local other="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT1/otherapp" before after
  local fp="SELECT (SELECT string_agg(table_name || ':' || column_name || ':' || data_type, ',' ORDER BY table_name, ordinal_position)
              FROM information_schema.columns WHERE table_schema = 'public')
           || ' / ' || (SELECT string_agg(l::text, ',' ORDER BY id) FROM leases l)
           || ' / ' || (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c
                        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public')"
  before=$(PG_DB=otherapp pg_psql "$PG1" "$PORT1" "$fp")
  local sub
  for sub in list migrate; do
    rc=0
    out=$(timeout 30 "$LEASEHOLD" leases --store "$other" "$sub" 2>&1) || rc=$?
    echo "$out" >"$WORK/g-foreign-$sub.log"
    if ((rc != 0 && rc != 124)) && ! grep -q 'Usage:' <<<"$out" &&
      grep -qiE 'not a leasehold|not .*(ours|lease database)|another program|foreign' <<<"$out"; then
      passd g "foreign-db refused-by-$sub" "exit $rc: $(head -n 1 <<<"$out")"
    else
      fail g "foreign-db refused-by-$sub" "exit $rc: $(head -c 300 <<<"$out")"
    fi
  done
  # A server pointed at it (isolated namespace, loopback only) must refuse too.
  cat >"$WORK/foreign.toml" <<EOF
[server]
listen_address = "127.0.0.1"
server_port = 1067
client_port = 1068
[store]
backend = "postgres"
url = "postgresql://$PG_USER:$PG_PASSWORD@$(pg_socket_url "$PG1" "$PORT1" | sed 's|.*@||; s|/.*||')/otherapp"
server_id = "foreign"
[[subnet]]
subnet = "127.0.0.0/8"
[[subnet.pool]]
range = "127.0.0.100-127.0.0.199"
EOF
  rc=0
  timeout 20 ip netns exec "$(ns x)" "$LEASEHOLD" serve --config "$WORK/foreign.toml" >"$WORK/g-foreign-serve.log" 2>&1 || rc=$?
  if ((rc != 0 && rc != 124)) &&
    grep -qiE 'not a leasehold|not .*(ours|lease database)|another program|foreign' "$WORK/g-foreign-serve.log"; then
    passd g foreign-db refused-by-serve "exit $rc: $(grep -m1 -iE 'error|refus' "$WORK/g-foreign-serve.log")"
  else
    fail g foreign-db refused-by-serve "$([[ $rc == 124 ]] && echo 'still running after 20 s' || echo "exit $rc"): $(tail -n 3 "$WORK/g-foreign-serve.log" | tr '\n' ' ')"
  fi
  after=$(PG_DB=otherapp pg_psql "$PG1" "$PORT1" "$fp")
  if [[ $before == "$after" ]]; then pass g foreign-db untouched; else fail g foreign-db untouched "before: $before; after: $after"; fi
  case_end
}

# ================================================================ b: three servers, perfdhcp
case_b() {
  case_begin b
  start_server s3
  local t0 out=$WORK/perfdhcp.txt rc=0
  t0=$(date +%s)
  timeout $((PERF_SECONDS + 60)) ip netns exec "$(ns pf)" perfdhcp -4 -B -l eth0 -r "$PERF_RATE" \
    -R "$PERF_CLIENTS" -p "$PERF_SECONDS" -W 2000000 -x l >"$out" 2>&1 || rc=$?
  # perfdhcp exits 3 when some exchanges did not complete (three servers race for each one).
  local sent acks
  sent=$(perf_stat "$out" DISCOVER-OFFER sent)
  acks=$(perf_stat "$out" REQUEST-ACK received)
  figure b "perfdhcp exit $rc, $PERF_RATE/s for $PERF_SECONDS s, $PERF_CLIENTS clients: DISCOVERs sent ${sent:-?}, ACKs received ${acks:-?} (report: $out)"
  if ((rc == 0 || rc == 3)) && [[ ${acks:-0} -gt 0 ]]; then
    pass b perfdhcp-got-acks
  else
    fail b perfdhcp-got-acks "exit $rc, ${acks:-no} ACKs (see $out)"
  fi
  check_perfdhcp_leases "$out" "$t0"
  local per
  per=$(q "SELECT server || ':' || count(*) FROM history WHERE state = 'bound' AND recorded >= $t0 GROUP BY server ORDER BY server" | tr '\n' ' ')
  figure b "bound versions written during the run per server: $per"
  local s missing=""
  for s in s1 s2 s3; do [[ " $per" == *" $s:"* ]] || missing+="$s "; done
  if [[ -z $missing ]]; then pass b all-servers-acked; else fail b all-servers-acked "no lease written by ${missing% } ($per)"; fi
  local two overlap
  two=$(q "$SQL_TWO_LEASES") || two="query failed"
  if [[ -z $two ]]; then pass b no-client-with-two-leases; else fail b no-client-with-two-leases "$(head -n 5 <<<"$two" | tr '\n' ';')"; fi
  overlap=$(q "$SQL_OVERLAP") || overlap="query failed"
  if [[ -z $overlap ]]; then
    pass b no-double-allocation-in-history
  else
    fail b no-double-allocation-in-history "$(head -n 5 <<<"$overlap" | tr '\n' ';')"
  fi
  # How often the servers collided on an address (the store refused a record, the request was
  # decided again): the contention the checks above were exposed to.
  local contention=""
  for s in "${SERVERS[@]}"; do
    contention+="$s: rejected $(metric "$s" leasehold_store_rejected_total), retried $(metric "$s" leasehold_store_retried_requests_total); "
  done
  figure b "store refusals ${contention%; }"
  local n
  n=$(q "SELECT count(*) FROM history WHERE recorded >= $t0")
  figure b "history entries written during the run: $n; bound leases now: $(q "SELECT count(*) FROM leases WHERE state = 'bound'")"
  for s in "${SERVERS[@]}"; do
    if alive "${SRV_PID[$s]}"; then pass b "$s alive"; else fail b "$s alive" "exited (see $WORK/$s.log)"; fi
  done
  no_panic b "${SERVERS[@]}"
  case_end
}
# perf_stat REPORT EXCHANGE sent|received: a count of perfdhcp's report.
perf_stat() {
  awk -v x="$2" -v k="$3 packets:" '/^\*\*\*Statistics for: / { f = index($0, x) > 0; next }
    f && index($0, k) == 1 { print $3; exit }' "$1"
}
# check_perfdhcp_leases REPORT T0: perfdhcp -x l lists every ACK it got (client id 01+MAC,
# address). In a 30 s run with 120 s leases and no releases, an address ACKed to two clients is a
# double allocation whichever server sent it, a client ACKed two addresses was not recognised by
# the other servers, and every ACK must be a bound version in the history.
check_perfdhcp_leases() {
  local out=$1 t0=$2 acked=$WORK/perfdhcp-acks.txt n
  awk '/^\*\*\*Leases for REQUEST-ACK/ { f = 1; next } f && /^client_id/ { next }
    f && /^$/ { exit } f { split($0, a, ","); m = substr(a[1], 3)
      gsub(/../, "&:", m); sub(/:$/, "", m); print m "|" a[2] }' "$out" | sort -u >"$acked"
  n=$(wc -l <"$acked")
  if ((n == 0)); then fail b perfdhcp-ack-list "perfdhcp -x l listed no ACKed leases (see $out)"; return; fi
  local dup
  dup=$(cut -d'|' -f2 "$acked" | sort | uniq -d | head -n 5 | while read -r a; do
    echo "$a to $(grep "|$a\$" "$acked" | cut -d'|' -f1 | tr '\n' ' ')"; done | tr '\n' ';')
  if [[ -z $dup ]]; then passd b perfdhcp-no-address-acked-to-two "$n client/address pairs"; else fail b perfdhcp-no-address-acked-to-two "$dup"; fi
  dup=$(cut -d'|' -f1 "$acked" | sort | uniq -d | head -n 5 | while read -r m; do
    echo "$m got $(grep "^$m|" "$acked" | cut -d'|' -f2 | tr '\n' ' ')"; done | tr '\n' ';')
  if [[ -z $dup ]]; then pass b perfdhcp-same-address-per-client; else fail b perfdhcp-same-address-per-client "$dup"; fi
  local missing
  missing=$(comm -23 "$acked" <(q "SELECT DISTINCT hwaddr || '|' || $(dotted addr) FROM history
      WHERE state = 'bound' AND recorded >= $t0" | sort -u) | head -n 5 | tr '\n' ' ')
  if [[ -z $missing ]]; then pass b perfdhcp-acks-in-history; else fail b perfdhcp-acks-in-history "ACKed, no bound version in the history: $missing"; fi
}

# ================================================================ c: kill -9 one server
case_c() {
  case_begin c
  start_dhclient k1 "$SHORT_LEASE"
  start_dhclient k2 "$SHORT_LEASE"
  local k
  for k in k1 k2; do
    wait_for 40 bound "$k" || { fail c "$k bound" "no lease within 40 s (see $WORK/$k.log)"; case_end; return; }
  done
  local lease
  lease=$(field "$(grep -E '^BOUND\|' "$WORK/k1.events" | tail -n 1)" 4)
  if [[ $lease == "$SHORT_LEASE" ]]; then pass c short-lease-granted; else fail c short-lease-granted "lease '$lease', asked for $SHORT_LEASE"; fi
  # The victim: the server k1 is bound to.
  local sid victim="" s
  sid=$(server_of k1)
  for s in "${SERVERS[@]}"; do [[ ${SRV_ADDR[$s]} == "$sid" ]] && victim=$s; done
  [[ -n $victim ]] || { fail c victim "k1's server id '$sid' is none of ours"; case_end; return; }
  local -A addr_before=() srv_before=() mark=() logmark=()
  for k in k1 k2; do
    addr_before[$k]=$(held "$k"); srv_before[$k]=$(server_of "$k")
    mark[$k]=$(wc -l <"$WORK/$k.events")
    logmark[$k]=$(wc -l <"$WORK/$k.log")
  done
  figure c "k1 ${addr_before[k1]} from ${srv_before[k1]}, k2 ${addr_before[k2]} from ${srv_before[k2]}; kill -9 $victim"
  kill -9 "${SRV_PID[$victim]}"
  wait "${SRV_PID[$victim]}" 2>/dev/null || true
  local t0=$SECONDS
  for k in k1 k2; do
    if [[ ${srv_before[$k]} == "$sid" ]]; then
      # RENEW (unicast to the dead server) fails; at T2 the broadcast REQUEST reaches the others.
      # (dhclient 4.4 stays in its RENEWING state while it broadcasts, so the hook may say RENEW.)
      if wait_for $((SHORT_LEASE + 15)) acked_elsewhere "$k" "${mark[$k]}" "$sid"; then
        local line a by
        line=$(events_since "$k" "${mark[$k]}" | awk -F'|' -v s="$sid" '($1 == "RENEW" || $1 == "REBIND") && $3 != s' | head -n 1)
        a=$(field "$line" 2); by=$(field "$line" 3)
        if [[ $a == "${addr_before[$k]}" ]]; then
          passd c "$k rebind-same-address" "$a from $by after $((SECONDS - t0)) s"
        else
          fail c "$k rebind-same-address" "got $a from $by, had ${addr_before[$k]} from $sid"
        fi
        if tail -n +$((${logmark[$k]} + 1)) "$WORK/$k.log" | grep -q "DHCPREQUEST for $a on eth0 to 255.255.255.255"; then
          pass c "$k rebind-was-broadcast"
        else
          fail c "$k rebind-was-broadcast" "no broadcast DHCPREQUEST in $WORK/$k.log after the kill"
        fi
        local row
        row=$(q "SELECT hwaddr || '|' || state || '|' || server FROM leases_readable WHERE address = '$a'")
        if [[ $row == "${MAC[$k]}|bound|"* && $row != *"|$victim" ]]; then
          passd c "$k lease-now-by-survivor" "$row"
        else
          fail c "$k lease-now-by-survivor" "leases row: '$row' (victim $victim)"
        fi
      else
        fail c "$k rebind-same-address" "no ACK from another server within $((SHORT_LEASE + 15)) s: $(events_since "$k" "${mark[$k]}" | tr '\n' ' ')"
      fi
    else
      # Bound to a survivor: its renewals keep working.
      if wait_for $((SHORT_LEASE + 5)) event_since "$k" "${mark[$k]}" '^RENEW\|'; then
        if [[ $(held "$k") == "${addr_before[$k]}" ]]; then
          pass c "$k renew-at-survivor"
        else
          fail c "$k renew-at-survivor" "now $(held "$k"), had ${addr_before[$k]}"
        fi
      else
        fail c "$k renew-at-survivor" "no RENEW within $((SHORT_LEASE + 5)) s"
      fi
    fi
  done
  for s in "${SERVERS[@]}"; do
    [[ $s == "$victim" ]] && continue
    if alive "${SRV_PID[$s]}"; then pass c "$s alive"; else fail c "$s alive" "exited (see $WORK/$s.log)"; fi
  done
  # The victim comes back with the same configuration (k1 stays on for case d).
  stop_client k2
  launch_server "$victim"
  if wait_for 30 server_up "$victim"; then pass c "$victim restarts"; else fail c "$victim restarts" "not up within 30 s (see $WORK/$victim.log)"; fi
  no_panic c "${SERVERS[@]}"
  case_end
}

# ================================================================ d: PostgreSQL down and back
case_d() {
  case_begin d
  local s c
  local -A held_before=() mark=() logmark=()
  local kept=("${CLIENTS[@]}")
  # k1 (20 s lease) renews every 10 s: the outage starts right after one of its renewals, so its
  # next one (T1) falls into it and must succeed once the database is back, before T2/expiry.
  if [[ -n ${CPID[k1]:-} ]] && bound k1; then
    local m
    m=$(wc -l <"$WORK/k1.events")
    wait_for $((SHORT_LEASE / 2 + 5)) event_since k1 "$m" '^(RENEW|REBIND)\|' && kept+=(k1)
  fi
  for c in "${kept[@]}"; do held_before[$c]=$(held "$c"); mark[$c]=$(wc -l <"$WORK/$c.events"); done
  for s in "${SERVERS[@]}"; do logmark[$s]=$(wc -l <"$WORK/$s.log"); done
  local t0=$SECONDS
  pg_stop "$PG1" || { fail d pg-stopped "pg_ctl stop -m fast failed"; case_end; return; }
  # During the outage: every server says its store is down, and a new client gets no ACK.
  for s in "${SERVERS[@]}"; do
    if wait_for 8 metric_is "$s" leasehold_store_up 0; then
      pass d "$s metric store_up-0"
    else
      fail d "$s metric store_up-0" "leasehold_store_up is '$(metric "$s" leasehold_store_up)' $((SECONDS - t0)) s into the outage"
    fi
  done
  if udhcpc_once n1 2; then
    fail d no-ack-during-outage "n1 got $(held n1) while PostgreSQL was down"
  else
    pass d no-ack-during-outage
  fi
  local left=$((OUTAGE - (SECONDS - t0)))
  ((left > 0)) && sleep "$left"
  figure d "PostgreSQL down for $((SECONDS - t0)) s"
  pg_restart "$PG1" || { fail d pg-restarted "did not start again (see $PG1/log)"; case_end; return; }
  local t1=$SECONDS
  if udhcpc_once n1 10; then
    passd d ack-after-restart "$(held n1) $((SECONDS - t1)) s after PostgreSQL restarted"
  else
    fail d ack-after-restart "n1 got no lease within $((SECONDS - t1)) s after the restart"
  fi
  for s in "${SERVERS[@]}"; do
    if wait_for 20 metric_is "$s" leasehold_store_up 1; then pass d "$s metric store_up-1"; else fail d "$s metric store_up-1" "still '$(metric "$s" leasehold_store_up)'"; fi
    if alive "${SRV_PID[$s]}"; then pass d "$s alive-through-outage"; else fail d "$s alive-through-outage" "exited (see $WORK/$s.log)"; fi
    local line
    line=$(tail -n +$((${logmark[$s]} + 1)) "$WORK/$s.log" | grep -m1 -iE '(WARN|ERROR).*(store|database|postgres)' || true)
    if [[ -n $line ]]; then passd d "$s logs-outage" "$(cut -c1-200 <<<"$line")"; else fail d "$s logs-outage" "no WARN/ERROR line about the store in $WORK/$s.log"; fi
  done
  # Existing clients kept their addresses: nothing but renewals of the same address since (k1, with
  # a 20 s lease, had to renew during or just after the outage).
  for c in "${kept[@]}"; do
    local bad
    bad=$(events_since "$c" "${mark[$c]}" | grep -vE "^(RENEW|REBIND|renew)\|${held_before[$c]}\|" || true)
    if [[ -z $bad && $(held "$c") == "${held_before[$c]}" ]]; then
      pass d "$c kept-address"
    else
      fail d "$c kept-address" "had ${held_before[$c]}; events since: $(tr '\n' ' ' <<<"$bad")"
    fi
  done
  figure d "k1 events since the outage began: $(events_since k1 "${mark[k1]:-0}" | tr '\n' ' ')"
  stop_client k1
  no_panic d "${SERVERS[@]}"
  case_end
}

# ================================================================ e: promote the standby
case_e() {
  case_begin e
  # Every lease version committed before the primary dies must be in the promoted database.
  local snap=$WORK/e-primary-leases.txt
  q "SELECT addr, client, state, starts, coalesce(expires, -1), server FROM leases ORDER BY addr" >"$snap" ||
    { fail e snapshot "cannot read the primary"; case_end; return; }
  pg_stop_immediate "$PG1"
  local t0=$SECONDS
  if pg_promote "$PG2"; then passd e promoted "$((SECONDS - t0)) s"; else fail e promoted "see $PG2/log"; case_end; return; fi
  LIVE_DIR=$PG2
  LIVE_PORT=$PORT2
  if udhcpc_once n2 10; then
    passd e new-client-after-failover "$(held n2) from $(server_of n2) $((SECONDS - t0)) s after the primary died"
  else
    fail e new-client-after-failover "n2 got no lease within $((SECONDS - t0)) s"
  fi
  local lost
  lost=$(comm -23 <(sort "$snap") \
    <(q "SELECT addr, client, state, starts, coalesce(expires, -1), server FROM history" | sort -u) | head -n 5 | tr '\n' ';')
  if [[ -z $lost ]]; then
    passd e primary-leases-in-promoted "$(wc -l <"$snap") leases"
  else
    fail e primary-leases-in-promoted "missing after promotion: $lost"
  fi
  # What the clients were told (every ACK their hooks saw) is in the promoted history.
  local c rows missing=""
  rows=$(q "SELECT DISTINCT $(dotted addr) || '|' || hwaddr FROM history WHERE state = 'bound'")
  for c in "${CLIENTS[@]}" k1 k2 n1; do
    local a
    while IFS= read -r a; do
      [[ -z $a ]] && continue
      grep -qx "$a|${MAC[$c]}" <<<"$rows" || missing+="$c:$a "
    done < <(grep -E '^(BOUND|RENEW|REBIND|REBOOT|bound|renew)\|' "$WORK/$c.events" 2>/dev/null | cut -d'|' -f2 | sort -u)
  done
  if [[ -z $missing ]]; then pass e client-acks-in-promoted; else fail e client-acks-in-promoted "ACKed but not in the history: $missing"; fi
  local s
  for s in "${SERVERS[@]}"; do
    if alive "${SRV_PID[$s]}"; then pass e "$s alive"; else fail e "$s alive" "exited (see $WORK/$s.log)"; fi
  done
  no_panic e "${SERVERS[@]}"
  case_end
}

# ================================================================ f: start while the database is down
case_f() {
  case_begin f
  local s rc
  # Only s3 runs in this case (so the ACK below is its own); s1 and s2 stop cleanly.
  for s in s1 s2; do
    kill "${SRV_PID[$s]}"
    rc=0
    if wait_for 15 bash -c "! ps -o stat= -p ${SRV_PID[$s]} | grep -qv Z"; then
      wait "${SRV_PID[$s]}" 2>/dev/null || rc=$?
      if ((rc == 0)); then pass f "$s clean-shutdown"; else fail f "$s clean-shutdown" "exit $rc"; fi
    else
      fail f "$s clean-shutdown" "still running 15 s after SIGTERM"
      kill -9 "${SRV_PID[$s]}" 2>/dev/null || true
    fi
    unset "SRV_PID[$s]"
  done
  stop "${SRV_PID[s3]}"
  pg_stop "$PG2"
  local mark
  mark=$(wc -l <"$WORK/s3.log")
  launch_server s3
  local t0=$SECONDS
  local line=""
  if wait_for 20 bash -c "tail -n +$((mark + 1)) '$WORK/s3.log' | grep -qiE '(WARN|ERROR).*(store|database|postgres|connect)'"; then
    line=$(tail -n +$((mark + 1)) "$WORK/s3.log" | grep -m1 -iE '(WARN|ERROR).*(store|database|postgres|connect)')
    passd f logs-db-down "$(cut -c1-200 <<<"$line")"
  else
    fail f logs-db-down "no WARN/ERROR line about the database within 20 s: $(tail -n 3 "$WORK/s3.log" | tr '\n' ' ')"
  fi
  # Still alive a while later (retrying, not exiting).
  sleep $((t0 + 8 - SECONDS > 0 ? t0 + 8 - SECONDS : 0))
  if alive "${SRV_PID[s3]}"; then passd f alive-while-db-down "$((SECONDS - t0)) s"; else fail f alive-while-db-down "exited: $(tail -n 3 "$WORK/s3.log" | tr '\n' ' ')"; fi
  local n
  n=$(tail -n +$((mark + 1)) "$WORK/s3.log" | grep -ciE '(WARN|ERROR).*(store|database|postgres|connect)' || true)
  figure f "database error lines while down: $n"
  pg_restart "$PG2" || { fail f db-restarted "see $PG2/log"; case_end; return; }
  local t1=$SECONDS
  if udhcpc_once n3 12 && [[ $(server_of n3) == "${SRV_ADDR[s3]}" ]]; then
    passd f serves-once-db-up "$(held n3) $((SECONDS - t1)) s after the database came up"
  else
    fail f serves-once-db-up "n3: '$(held n3)' from '$(server_of n3)' within $((SECONDS - t1)) s (see $WORK/s3.log)"
  fi
  local row
  row=$(q "SELECT hwaddr || '|' || server FROM leases_readable WHERE state = 'bound' AND hwaddr = '${MAC[n3]}'")
  if [[ $row == "${MAC[n3]}|s3" ]]; then pass f lease-in-db; else fail f lease-in-db "row '$row'"; fi
  no_panic f s1 s2 s3
  case_end
}

# ---------------------------------------------------------------- main
echo "cluster: work=$WORK namespaces=*-$TAG binary=$LEASEHOLD"
T_ALL=$SECONDS
topology
start_databases
echo "cluster: PostgreSQL primary $PG1:$PORT1, synchronous standby $PG2:$PORT2; servers use $URL"
for s in "${SERVERS[@]}"; do write_server_config "$s"; done
timeout 20 "$LEASEHOLD" check-config "$WORK/s1.toml" >"$WORK/check-config.log" 2>&1 ||
  { cat "$WORK/check-config.log" >&2; die "leasehold check-config rejects the [store] configuration (see above)"; }

case_a
case_g
case_b
case_c
case_d
case_e
case_f

# The database password never shows in a log or an error message.
leaked=$(grep -l -F "$PG_PASSWORD" "$WORK"/s[0-9].log "$WORK"/g-*.log "$WORK"/cli-list.err 2>/dev/null | tr '\n' ' ' || true)
if [[ -z $leaked ]]; then pass all password-not-logged; else fail all password-not-logged "in $leaked"; fi

for t in "${TIMES[@]}"; do figure "time case $t"; done
figure "time total $((SECONDS - T_ALL)) s"
netns_summary
