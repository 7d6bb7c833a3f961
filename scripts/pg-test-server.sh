#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 for the test suite and print its URL.
# Usage: scripts/pg-test-server.sh start|stop   (PG_TEST_DIR, PG_TEST_PORT override the defaults)
# Installs Debian's postgresql package when missing and we are root; otherwise says why it cannot.
set -euo pipefail
DIR=${PG_TEST_DIR:-/tmp/zhijin-pg-test}
PORT=${PG_TEST_PORT:-55432}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_pg() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

case "${1:-start}" in
start)
    if [ -z "$(pg_bin)" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "installing postgresql from Debian's packages..." >&2
            apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        else
            echo "PostgreSQL is not installed and cannot be installed here (need root and apt-get)" >&2
            exit 3
        fi
    fi
    BIN=$(pg_bin)
    if [ -f "$DIR/postmaster.pid" ]; then as_pg "$BIN/pg_ctl -D $DIR stop -m immediate" >/dev/null 2>&1 || true; fi
    rm -rf "$DIR" && mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_pg "$BIN/initdb -D $DIR -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8" >/dev/null
    # fsync off: a test cluster is thrown away, durability buys nothing here
    as_pg "$BIN/pg_ctl -D $DIR -l $DIR/server.log -w -o '-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' start" >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
    ;;
stop)
    BIN=$(pg_bin)
    [ -n "$BIN" ] && [ -f "$DIR/postmaster.pid" ] && as_pg "$BIN/pg_ctl -D $DIR stop -m fast" >/dev/null
    ;;
esac
