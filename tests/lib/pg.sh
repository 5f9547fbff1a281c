# shellcheck shell=bash
# Throw-away PostgreSQL clusters for the test suites (tests/cluster/run.sh) and contrib/pg-pair.sh.
# Source it after `set -euo pipefail`; needs the Debian `postgresql` package (initdb, pg_ctl, psql,
# pg_basebackup under /usr/lib/postgresql/<version>/bin; the highest version is used).
#
#   pg_free_port [FROM]                 first TCP port >= FROM (default 25432) nobody listens on
#                                       and with no socket file of ours; prints it
#   pg_start DIR PORT [LISTEN]          new cluster: data in DIR/data, unix socket in DIR
#                                       (DIR/.s.PGSQL.PORT), log DIR/log; TCP only on LISTEN
#                                       (default 127.0.0.1; '' = unix socket only). Creates role
#                                       leasehold (password leasehold-secret) and database leasehold
#                                       owned by it. Sets PG_URL (TCP, password; the socket URL
#                                       when LISTEN is '') and PG_SOCKET_URL (unix socket,
#                                       password), exports both and prints PG_URL.
#   pg_stop DIR                         fast shutdown (pg_ctl stop -m fast); no-op when stopped
#   pg_stop_immediate DIR               crash-like stop (pg_ctl stop -m immediate)
#   pg_restart DIR                      start a stopped cluster again with its settings
#   pg_running DIR                      status 0 when the cluster's postmaster runs
#   pg_psql DIR PORT SQL...             psql as the admin (trust, unix socket) against database
#                                       leasehold, unaligned tuples-only output, stops on error,
#                                       at most PG_QUERY_TIMEOUT s each (PG_DB=name for another
#                                       database)
#   pg_start_replica PRIMARY_DIR PRIMARY_PORT REPLICA_DIR REPLICA_PORT [LISTEN]
#                                       pg_basebackup -R from the primary (over its socket), then
#                                       a hot standby; waits until it streams
#   pg_promote DIR                      pg_ctl promote -w; waits until it accepts writes
#   pg_cleanup DIR                      stop if running (immediate), rm -rf DIR
#   pg_socket_url DIR PORT              postgresql://leasehold:leasehold-secret@%2FDIR:PORT/leasehold
#
# Authentication (DIR/data/pg_hba.conf): the admin role `postgres` is trusted over the unix socket
# (and for replication from 127.0.0.1); role leasehold needs its password (scram-sha-256) over the
# socket and over TCP, so a wrong password is a real failure.
#
# initdb refuses root: as root every PostgreSQL program runs as the `postgres` system user (made
# by the Debian package) through runuser, DIR is chowned to it, and DIR's parent must be
# searchable by it (pg_start says so when it is not; `chmod 711` a mktemp -d parent). Otherwise
# the programs run as the calling user. Only the postmasters started here are stopped, through
# pg_ctl and their own data directory (never by name).
#
# Knobs: PG_BIN (directory of the programs), PG_WAIT (seconds pg_ctl and the waits for a standby
# or a promotion take at most, 30), PG_QUERY_TIMEOUT (seconds per pg_psql statement, 60).

PG_ADMIN=postgres
PG_USER=leasehold
PG_PASSWORD=leasehold-secret
PG_DB=${PG_DB:-leasehold}
PG_WAIT=${PG_WAIT:-30}
PG_QUERY_TIMEOUT=${PG_QUERY_TIMEOUT:-60}

pg__die() { echo "pg: $*" >&2; return 1; }

if [[ -z ${PG_BIN:-} ]]; then
  PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
fi

# pg__check: the programs exist.
pg__check() {
  local p
  for p in initdb pg_ctl psql pg_basebackup postgres; do
    [[ -x ${PG_BIN:-}/$p ]] ||
      pg__die "no $p in '${PG_BIN:-/usr/lib/postgresql/*/bin}' (Debian package: postgresql)" || return 1
  done
}

# pg__as CMD...: run a PostgreSQL program as the cluster owner (postgres when we are root);
# PG_AS is the same prefix as an array, for `timeout ... "${PG_AS[@]}" CMD`.
if [[ $(id -u) -eq 0 ]]; then PG_AS=(runuser -u postgres --); else PG_AS=(); fi
pg__as() { "${PG_AS[@]}" "$@"; }

pg_socket_url() { # DIR PORT
  local dir
  dir=$(printf '%s' "$1" | sed 's|%|%25|g; s|/|%2F|g; s|:|%3A|g; s|,|%2C|g; s|@|%40|g')
  echo "postgresql://$PG_USER:$PG_PASSWORD@$dir:$2/$PG_DB"
}

pg_free_port() { # [FROM]
  local p=${1:-25432} last=$((${1:-25432} + 500))
  for ((; p < last; p++)); do
    if [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then
      echo "$p"
      return 0
    fi
  done
  pg__die "no free TCP port in ${1:-25432}..$last"
}

pg_running() { # DIR
  [[ -f $1/data/postmaster.pid ]] && pg__as "$PG_BIN/pg_ctl" status -D "$1/data" >/dev/null 2>&1
}

# pg__prepare DIR: DIR exists, belongs to the cluster owner, is reachable by it.
pg__prepare() {
  local dir=$1
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || pg__die "no 'postgres' system user (Debian package: postgresql)" || return 1
    chown postgres: "$dir"
    chmod 700 "$dir"
    runuser -u postgres -- test -w "$dir" ||
      pg__die "user postgres cannot reach $dir: make its parent directories searchable (chmod 711)" || return 1
  fi
}

# pg__settings DIR PORT LISTEN: appended to DIR/data/postgresql.conf (the last setting wins, so a
# replica's copy can be re-pointed by appending again).
pg__settings() {
  local dir=$1 port=$2 listen=$3
  pg__as tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# tests/lib/pg.sh
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
wal_level = replica
max_wal_senders = 5
max_connections = 200
hot_standby = on
EOF
}

# pg__ctl_start DIR: start (waiting) with its log in DIR/log.
pg__ctl_start() {
  pg__as "$PG_BIN/pg_ctl" start -w -t "$PG_WAIT" -D "$1/data" -l "$1/log" >/dev/null ||
    { tail -n 20 "$1/log" >&2 2>/dev/null; pg__die "cluster in $1 did not start (log: $1/log)"; }
}

pg_start() { # DIR PORT [LISTEN]
  local dir=$1 port=$2 listen=${3-127.0.0.1}
  pg__check || return 1
  dir=$(realpath -m "$dir")
  pg__prepare "$dir" || return 1
  [[ -e $dir/data ]] && { pg__die "$dir/data exists already"; return 1; }
  if ! pg__as "$PG_BIN/initdb" -D "$dir/data" -U "$PG_ADMIN" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    tail -n 20 "$dir/initdb.log" >&2
    pg__die "initdb failed in $dir/data (log: $dir/initdb.log)"
    return 1
  fi
  pg__as tee "$dir/data/pg_hba.conf" >/dev/null <<EOF
# tests/lib/pg.sh: the admin is trusted locally, everyone else needs a password.
local   all          $PG_ADMIN                 trust
local   replication  $PG_ADMIN                 trust
local   all          all                       scram-sha-256
host    replication  $PG_ADMIN  127.0.0.1/32   trust
host    all          $PG_ADMIN  127.0.0.1/32   trust
host    all          all        127.0.0.1/32   scram-sha-256
EOF
  if [[ -n $listen && $listen != 127.0.0.1 ]]; then
    pg__as tee -a "$dir/data/pg_hba.conf" >/dev/null <<EOF
host    replication  $PG_ADMIN  $listen/32     trust
host    all          all        $listen/32     scram-sha-256
EOF
  fi
  pg__settings "$dir" "$port" "$listen"
  pg__ctl_start "$dir" || return 1
  pg__as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U "$PG_ADMIN" -d postgres >/dev/null <<EOF ||
CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
CREATE DATABASE $PG_DB OWNER $PG_USER;
EOF
    { pg__die "could not create role/database in $dir"; return 1; }
  PG_SOCKET_URL=$(pg_socket_url "$dir" "$port")
  if [[ -n $listen ]]; then
    PG_URL="postgresql://$PG_USER:$PG_PASSWORD@$listen:$port/$PG_DB"
  else
    PG_URL=$PG_SOCKET_URL
  fi
  export PG_URL PG_SOCKET_URL
  echo "$PG_URL"
}

pg_stop() { # DIR
  pg_running "$1" || return 0
  pg__as "$PG_BIN/pg_ctl" stop -w -t "$PG_WAIT" -m fast -D "$1/data" >/dev/null
}

pg_stop_immediate() { # DIR
  pg_running "$1" || return 0
  pg__as "$PG_BIN/pg_ctl" stop -w -t "$PG_WAIT" -m immediate -D "$1/data" >/dev/null
}

pg_restart() { # DIR
  pg_running "$1" && return 0
  pg__ctl_start "$1"
}

pg_psql() { # DIR PORT SQL...
  local dir=$1 port=$2
  shift 2
  local sql
  for sql in "$@"; do
    timeout "$PG_QUERY_TIMEOUT" "${PG_AS[@]}" "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$dir" \
      -p "$port" -U "$PG_ADMIN" -d "$PG_DB" -c "$sql" || return 1
  done
}

pg_start_replica() { # PRIMARY_DIR PRIMARY_PORT REPLICA_DIR REPLICA_PORT [LISTEN]
  local pdir=$1 pport=$2 dir=$3 port=$4 listen=${5-127.0.0.1}
  pg__check || return 1
  pdir=$(realpath -m "$pdir")
  dir=$(realpath -m "$dir")
  pg__prepare "$dir" || return 1
  [[ -e $dir/data ]] && { pg__die "$dir/data exists already"; return 1; }
  # -R writes standby.signal and primary_conninfo (over the primary's socket, as the admin).
  if ! timeout 120 "${PG_AS[@]}" "$PG_BIN/pg_basebackup" -h "$pdir" -p "$pport" -U "$PG_ADMIN" \
    -D "$dir/data" -R -X stream -c fast >"$dir/basebackup.log" 2>&1; then
    tail -n 20 "$dir/basebackup.log" >&2
    pg__die "pg_basebackup from $pdir:$pport failed (log: $dir/basebackup.log)"
    return 1
  fi
  pg__settings "$dir" "$port" "$listen"
  pg__ctl_start "$dir" || return 1
  # Bounded wait until the standby streams from the primary.
  local i
  for ((i = 0; i < PG_WAIT * 5; i++)); do
    [[ $(pg__as "$PG_BIN/psql" -X -A -t -h "$pdir" -p "$pport" -U "$PG_ADMIN" -d postgres \
      -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null) -ge 1 ]] && return 0
    sleep 0.2
  done
  pg__die "replica in $dir does not stream from $pdir:$pport after ${PG_WAIT} s (log: $dir/log)"
}

pg_promote() { # DIR
  local dir=$1 i
  pg__as "$PG_BIN/pg_ctl" promote -w -t "$PG_WAIT" -D "$dir/data" >/dev/null || return 1
  local port
  port=$(pg__port "$dir")
  for ((i = 0; i < PG_WAIT * 5; i++)); do
    [[ $(pg__as "$PG_BIN/psql" -X -A -t -h "$dir" -p "$port" -U "$PG_ADMIN" -d postgres \
      -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && return 0
    sleep 0.2
  done
  pg__die "$dir still in recovery ${PG_WAIT} s after promote"
}

# pg__port DIR: the port of the cluster (the last `port =` line of its postgresql.conf).
pg__port() {
  pg__as sed -n 's/^port = \([0-9]*\)$/\1/p' "$1/data/postgresql.conf" | tail -n 1
}

pg_cleanup() { # DIR
  [[ -n ${1:-} && -d $1 ]] || return 0
  pg_stop_immediate "$1" 2>/dev/null || true
  rm -rf "$1"
}
