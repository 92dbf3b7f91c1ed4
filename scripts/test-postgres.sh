#!/usr/bin/env bash
# A throwaway PostgreSQL for the test suite, run as the unprivileged postgres user, reachable
# only through a Unix socket in a directory that user owns.
#   bash scripts/test-postgres.sh start   # prints the conninfo of its admin database
#   bash scripts/test-postgres.sh stop
# Tests create one database each from that admin connection, so they never share state.
set -euo pipefail
dir=${PALISADE_TEST_PG_DIR:-/tmp/palisade-test-pg}
port=${PALISADE_TEST_PG_PORT:-25432}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups --reset-env "$@"; }

case ${1:-} in
start)
    "$0" stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir/run"
    chown -R postgres:postgres "$dir"
    chmod 0700 "$dir/run"
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-locale -E UTF8 --no-instructions >"$dir/initdb.log"
    # Durability is not under test here; speed is welcome.
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses='' -c unix_socket_directories=$dir/run -c port=$port -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
    echo "host=$dir/run port=$port user=postgres dbname=postgres"
    ;;
stop)
    [ -d "$dir/data" ] && as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 64
    ;;
esac
