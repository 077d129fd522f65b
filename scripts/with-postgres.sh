#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server for the vote store's tests:
#   bash scripts/with-postgres.sh cargo test
# Creates a cluster in a temporary folder (owned by `nobody` when run as root, since
# initdb refuses root), starts it on a free port of 127.0.0.1, creates the database
# `birge`, exports BIRGE_TEST_POSTGRES=postgresql://birge@127.0.0.1:PORT/birge, runs the
# command, then stops the server and removes the folder, however the command ends.
# Installs Debian's postgresql package when no initdb is found and it runs as root.
set -euo pipefail

find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_bin=$(find_bin)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: no PostgreSQL server (initdb) under /usr/lib/postgresql; install Debian's postgresql package" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  pg_bin=$(find_bin)
fi

pg_dir=$(mktemp -d /tmp/birge-pg.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
  chown nobody "$pg_dir"
  as_pg() { runuser -u nobody -- "$@"; }
else
  as_pg() { "$@"; }
fi

stop() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U birge --auth=trust -E UTF8 >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log" >&2; exit 1; }
# fsync off: a test server, thrown away at the end; it makes the many small commits cheap.
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" \
  start >/dev/null || { cat "$pg_dir/server.log" >&2; exit 1; }
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U birge birge
export BIRGE_TEST_POSTGRES="postgresql://birge@127.0.0.1:$port/birge"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') for the tests at $BIRGE_TEST_POSTGRES" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
