#!/usr/bin/env bash
# Database servers for the PostgreSQL and Citus tests: a plain PostgreSQL 15 with pgvector, and a Citus
# coordinator with two workers, on one machine, in temporary data folders, on their own loopback ports.
#
#   eval "$(scripts/test-servers.sh start)"   # prints `export PRODSIM_TEST_…=…` lines
#   npm test                                   # the database tests run instead of skipping
#   scripts/test-servers.sh stop               # stops them and removes the data folders
#
# `start` installs PostgreSQL 15, pgvector and Citus first when they are missing, with
# ../shared/vendor/install-postgres-extensions.sh (root only; ~1 min pgvector, ~5 min Citus on 2 cores).
# PostgreSQL refuses to run as root: as root the servers run as the `postgres` user.
# Settings are for tests (fsync off, trust authentication on loopback): never a production server.
#
# Environment: PRODSIM_TEST_SERVERS_DIR (default /tmp/prodsim-test-servers), PRODSIM_TEST_PG_PORT
# (default 25432: plain server; +1 coordinator, +2 and +3 workers), WITH_CITUS=0 (plain server only).
# The default lies below Linux's ephemeral range (32768-60999): at 55432 a Citus coordinator's
# outgoing connection once took the port as its local end and the plain server could not bind.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${PRODSIM_TEST_SERVERS_DIR:-/tmp/prodsim-test-servers}"
base_port="${PRODSIM_TEST_PG_PORT:-25432}"
with_citus="${WITH_CITUS:-1}"
bin=/usr/lib/postgresql/15/bin
db=prodsim

log() { echo "[test-servers] $*" >&2; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_if_missing() {
  local libdir=/usr/lib/postgresql/15/lib
  local installer="$root/../shared/vendor/install-postgres-extensions.sh"
  # As root with ../shared present the installer always runs: it is idempotent (seconds when all is there).
  if [ -x "$installer" ] && [ "$(id -u)" = 0 ]; then
    WITH_CITUS="$with_citus" "$installer" >&2
    return
  fi
  if [ -x "$bin/postgres" ] && [ -f "$libdir/vector.so" ] && { [ "$with_citus" = 0 ] || [ -f "$libdir/citus.so" ]; }; then return; fi
  if [ ! -x "$installer" ]; then
    log "PostgreSQL 15 with pgvector${with_citus:+/Citus} is not installed and $installer is absent"; exit 1
  fi
  if [ "$(id -u)" != 0 ]; then log "PostgreSQL 15 with pgvector/Citus is not installed: run $installer as root"; exit 1; fi
  log "installing PostgreSQL 15, pgvector and Citus (several minutes the first time)"
  WITH_CITUS="$with_citus" "$installer"
}

# node_start NAME PORT [citus]
node_start() {
  local name="$1" port="$2" citus="${3:-}" data="$dir/$1"
  as_owner "$bin/initdb" -D "$data" -A trust -U postgres --no-sync >/dev/null
  {
    echo "listen_addresses = 'localhost'"
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
    echo "max_connections = 200"
    echo "shared_buffers = 128MB"
    if [ -n "$citus" ]; then
      echo "shared_preload_libraries = 'citus'"
      echo "max_prepared_transactions = 100"
    fi
  } | as_owner tee -a "$data/postgresql.conf" >/dev/null
  as_owner "$bin/pg_ctl" -D "$data" -l "$dir/$name.log" -w -t 60 start >/dev/null
  as_owner "$bin/psql" -q -h localhost -p "$port" -U postgres -d postgres -c "CREATE DATABASE $db" >/dev/null
  if [ -n "$citus" ]; then
    as_owner "$bin/psql" -q -h localhost -p "$port" -U postgres -d "$db" -c "CREATE EXTENSION citus" >/dev/null
  fi
  as_owner "$bin/psql" -q -h localhost -p "$port" -U postgres -d "$db" -c "CREATE EXTENSION vector" >/dev/null
}

start() {
  install_if_missing
  if [ -e "$dir" ]; then stop_servers; fi
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  local pg="$base_port" coord=$((base_port + 1)) w1=$((base_port + 2)) w2=$((base_port + 3))
  node_start plain "$pg"
  echo "export PRODSIM_TEST_POSTGRES_URL=postgres://postgres@localhost:$pg/$db"
  if [ "$with_citus" != 0 ]; then
    node_start coordinator "$coord" citus
    node_start worker1 "$w1" citus
    node_start worker2 "$w2" citus
    as_owner "$bin/psql" -q -h localhost -p "$coord" -U postgres -d "$db" \
      -c "SELECT citus_set_coordinator_host('localhost', $coord)" \
      -c "SELECT citus_add_node('localhost', $w1)" \
      -c "SELECT citus_add_node('localhost', $w2)" >/dev/null
    echo "export PRODSIM_TEST_CITUS_URL=postgres://postgres@localhost:$coord/$db"
  fi
  # Lets tests restart the plain server (fault tests): `pg_ctl` needs the data folder and its owner.
  echo "export PRODSIM_TEST_POSTGRES_DATA=$dir/plain"
  log "started in $dir (logs: $dir/*.log)"
}

stop_servers() {
  local node
  for node in plain coordinator worker1 worker2; do
    if [ -f "$dir/$node/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/$node" -m immediate -w stop >/dev/null 2>&1 || true; fi
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop_servers; log "stopped" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
