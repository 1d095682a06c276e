#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL server on a loopback port for the store tests.
# Installs Debian's postgresql when it is missing and apt-get can. Prints the URL to use
# as WORKBENCH_TEST_PG_URL on stdout; everything else goes to stderr.
# Usage: scripts/pg-test-server.sh start|stop
set -euo pipefail
PORT="${WORKBENCH_TEST_PG_PORT:-55432}"
DATA="${WORKBENCH_TEST_PG_DATA:-/tmp/workbench-pg-$PORT}"
log() { echo "pg-test-server: $*" >&2; }

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_pg() {
  if ! BIN=$(find_bin); then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      log "installing Debian's postgresql"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 || true
    fi
    BIN=$(find_bin) || { log "PostgreSQL is not installed and cannot be installed here"; exit 3; }
  fi
}

case "${1:-start}" in
  start)
    install_pg
    if [ "$(id -u)" = "0" ]; then mkdir -p "$DATA"; chown postgres "$DATA"; fi
    if [ ! -s "$DATA/PG_VERSION" ]; then
      as_pg "$BIN/initdb" -D "$DATA" -U workbench --auth=trust -E UTF8 >/dev/null
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" start >/dev/null
    fi
    "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U workbench -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='workbench_test'" | grep -q 1 \
      || "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U workbench workbench_test
    echo "postgresql+psycopg://workbench@127.0.0.1:$PORT/workbench_test"
    ;;
  stop)
    BIN=$(find_bin) || exit 0
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
