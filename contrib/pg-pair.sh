#!/usr/bin/env bash
# Two Leasehold servers sharing one PostgreSQL lease store, on loopback, in one command:
#
#   contrib/pg-pair.sh [--dir DIR] [--keep] [--for SECONDS]
#
# Starts a throw-away PostgreSQL cluster (tests/lib/pg.sh; TCP on 127.0.0.1 only, a free port from
# 25432 up) and two servers answering on 127.0.0.1 only, unprivileged ports, no root needed:
#
#   server a: DHCP 127.0.0.1:1067 (clients 1068), control API http://127.0.0.1:8067
#   server b: DHCP 127.0.0.1:1167 (clients 1168), control API http://127.0.0.1:8167
#
# both with `[store] backend = "postgres"` and the same database. It prints how to try them, then
# waits; Ctrl-C (or SIGTERM, or --for SECONDS elapsing, or a server exiting) stops both servers
# and the cluster and removes DIR.
#
#   --dir DIR      work directory (configurations, logs, the cluster); must not exist or be empty;
#                  default: a new directory under ${TMPDIR:-/tmp}
#   --keep         leave DIR (logs, configurations, the stopped cluster) in place at the end
#   --for SECONDS  stop by itself after SECONDS (default: run until Ctrl-C)
#
# Environment: A_DHCP, B_DHCP, A_API, B_API move the ports (defaults above; each server's clients
# are on its DHCP port + 1). Uses $LEASEHOLD, else the newer of target/release/leasehold and
# target/debug/leasehold, else runs `cargo build -p leasehold`. As root, PostgreSQL runs as the `postgres` system user (initdb
# refuses root); the servers run as the caller. Needs the Debian package postgresql.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAME=pg-pair
die() { echo "$NAME: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

DIR=""
KEEP=0
FOR=""
while (($#)); do
  case $1 in
    --dir) (($# >= 2)) || usage; DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --for) (($# >= 2)) || usage; FOR=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "$NAME: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ -z $FOR || $FOR =~ ^[1-9][0-9]*$ ]] || die "--for wants a number of seconds, not '$FOR'"

# shellcheck source-path=SCRIPTDIR source=../tests/lib/pg.sh
. "$ROOT/tests/lib/pg.sh"
pg__check || die "PostgreSQL is missing: apt-get install postgresql (or: sudo scripts/install-test-deps.sh)"
command -v ss >/dev/null || die "missing 'ss' (Debian package: iproute2)"

# ---------------------------------------------------------------- the binary
if [[ -z ${LEASEHOLD:-} ]]; then
  for b in "$ROOT/target/release/leasehold" "$ROOT/target/debug/leasehold"; do
    [[ -x $b ]] || continue
    if [[ -z ${LEASEHOLD:-} || $b -nt $LEASEHOLD ]]; then LEASEHOLD=$b; fi
  done
fi
if [[ -z ${LEASEHOLD:-} ]]; then
  echo "$NAME: no built leasehold: cargo build -p leasehold"
  (cd "$ROOT" && cargo build -p leasehold) || die "cargo build failed"
  LEASEHOLD=$ROOT/target/debug/leasehold
fi
[[ -x $LEASEHOLD ]] || die "$LEASEHOLD is not an executable"

# ---------------------------------------------------------------- ports
A_DHCP=${A_DHCP:-1067} B_DHCP=${B_DHCP:-1167}
A_API=${A_API:-8067} B_API=${B_API:-8167}
for p in $A_DHCP $((A_DHCP + 1)) $B_DHCP $((B_DHCP + 1)); do
  [[ -z $(ss -Hlun "sport = :$p" 2>/dev/null) ]] || die "UDP port $p is in use (another Leasehold trial?)"
done
for p in $A_API $B_API; do
  [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]] || die "TCP port $p is in use (another Leasehold trial?)"
done

# ---------------------------------------------------------------- work directory, cleanup
if [[ -n $DIR ]]; then
  if [[ -e $DIR ]]; then
    [[ -d $DIR && -z $(ls -A "$DIR") ]] || die "--dir $DIR exists and is not an empty directory"
  fi
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
else
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/leasehold-pg-pair.XXXXXX")
fi
# As root the cluster runs as user postgres, which must be able to reach DIR/pg.
[[ $(id -u) -ne 0 ]] || chmod 711 "$DIR"

PIDS=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local rc=$? pid i
  trap - EXIT INT TERM
  set +e
  echo
  echo "$NAME: stopping"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if ((KEEP)); then
    pg_stop "$DIR/pg"
    echo "$NAME: kept $DIR (logs, configurations, the stopped cluster in $DIR/pg)"
  else
    pg_cleanup "$DIR/pg"
    rm -rf "$DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- PostgreSQL
PORT=$(pg_free_port 25432) || die "no free port for PostgreSQL"
echo "$NAME: starting PostgreSQL on 127.0.0.1:$PORT (data in $DIR/pg)"
pg_start "$DIR/pg" "$PORT" 127.0.0.1 >/dev/null || die "PostgreSQL did not start (see $DIR/pg/log)"
URL=$PG_URL

# ---------------------------------------------------------------- the servers
write_config() { # ID DHCP-PORT API-PORT
  cat >"$DIR/$1.toml" <<EOF
# Leasehold server $1 of contrib/pg-pair.sh: loopback only, leases in the shared PostgreSQL store.
[server]
listen_address = "127.0.0.1"
server_port = $2
client_port = $(($2 + 1))
lease_time = 3600
offer_hold = 30
probation_time = 600

[server.options]
domain-name-servers = ["198.18.0.1"]
domain-name = "trial.example"

[store]
backend = "postgres"
url = "$URL"
server_id = "$1"
# password_file = "/path/to/file"   # instead of the password in the URL

[control]
listen = "127.0.0.1:$3"

# As in examples/loopback.toml: requests arriving on loopback are served from the subnet holding
# 127.0.0.1, so the trial pool is loopback too.
[[subnet]]
subnet = "127.0.0.0/8"

[subnet.options]
router = "127.0.0.1"

[[subnet.pool]]
range = "127.0.0.100-127.0.0.199"
EOF
  chmod 600 "$DIR/$1.toml"   # it holds the database password
}

# start_server ID DHCP-PORT API-PORT: in the background, logs in DIR/ID.log; waits (bounded,
# 30 s, only while it runs) until it answers on its control API and listens on its DHCP port.
start_server() {
  local id=$1 dport=$2 aport=$3 pid i
  write_config "$id" "$dport" "$aport"
  if ! "$LEASEHOLD" check-config "$DIR/$id.toml" >"$DIR/$id.check" 2>&1; then
    cat "$DIR/$id.check" >&2
    die "$LEASEHOLD rejects the [store] configuration: does this build have the PostgreSQL backend? (rebuild: cargo build -p leasehold)"
  fi
  "$LEASEHOLD" serve --config "$DIR/$id.toml" >"$DIR/$id.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$DIR/$id.log" >&2; die "server $id exited at start-up (log above)"; }
    if [[ -n $(ss -Hlun "sport = :$dport" 2>/dev/null) ]] &&
      grep -q "http://127\.0\.0\.1:$aport" "$DIR/$id.log"; then
      return 0
    fi
    sleep 0.2
  done
  tail -n 20 "$DIR/$id.log" >&2
  die "server $id did not come up within 30 s (log above)"
}

echo "$NAME: starting server a and server b ($LEASEHOLD)"
start_server a "$A_DHCP" "$A_API"
start_server b "$B_DHCP" "$B_API"

LH=$LEASEHOLD
[[ $LH == "$ROOT"/* ]] && LH=${LH#"$ROOT"/}
cat <<EOF

Two Leasehold servers share the lease store in PostgreSQL:
  server a   DHCP 127.0.0.1:$A_DHCP   control API http://127.0.0.1:$A_API   (pid ${PIDS[0]}, log $DIR/a.log)
  server b   DHCP 127.0.0.1:$B_DHCP   control API http://127.0.0.1:$B_API   (pid ${PIDS[1]}, log $DIR/b.log)
  database   $URL
             (cluster in $DIR/pg, log $DIR/pg/log)

Try it (from $ROOT, in a second terminal):
  python3 tests/dashboard/dora.py $A_DHCP 3 trial       # three clients get leases from server a
  python3 tests/dashboard/dora.py $B_DHCP 3 trial       # the same three clients ask server b: same addresses
  $LH leases --store '$URL' list
  $LH leases --store '$URL' history
  $LH ctl --url http://127.0.0.1:$A_API leases list
  $LH ctl --url http://127.0.0.1:$B_API pools
  psql '$URL' -c 'TABLE leases'
  curl -s http://127.0.0.1:$A_API/metrics | grep leasehold_store
  http://127.0.0.1:$A_API/ and http://127.0.0.1:$B_API/ in a browser: the dashboards

EOF
if [[ -n $FOR ]]; then
  echo "$NAME: running for $FOR s (Ctrl-C stops earlier)"
  sleep "$FOR" &
  PIDS+=("$!")
else
  echo "$NAME: running; Ctrl-C stops both servers and the cluster and removes $DIR"
fi

# Until Ctrl-C, --for, or one of the servers exits.
status=0
wait -n "${PIDS[@]}" || status=$?
if [[ -n $FOR ]] && ! kill -0 "${PIDS[2]}" 2>/dev/null; then
  exit 0
fi
for i in 0 1; do
  if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
    id=$([[ $i == 0 ]] && echo a || echo b)
    echo "$NAME: server $id exited (status $status); last lines of its log:" >&2
    tail -n 20 "$DIR/$id.log" >&2
  fi
done
exit 1
