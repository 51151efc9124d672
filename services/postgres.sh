#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for tests and benchmarks, from Debian's package.
# initdb refuses to run as root, so the cluster belongs to the postgres user.
# Usage: services/postgres.sh start|stop|status   (prints the DATABASE_URL on start/status)
source "$(dirname "$0")/common.sh"
PORT="${PG_PORT:-15432}"
DIR="$STATE/postgres"
DB=floorboard

bindir() {
  local d; d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$d" ]; then apt_install postgresql; d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"; }

start() {
  if status >/dev/null; then log "postgres already running on 127.0.0.1:$PORT"; url; return; fi
  local bin; bin=$(bindir)
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  rm -rf "$DIR" && mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_pg "$bin/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1
  as_pg "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
  log "postgres running on 127.0.0.1:$PORT"
  url
}

stop() {
  if [ -d "$DIR/data" ]; then
    as_pg "$(bindir)/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    log "postgres stopped"
  fi
}

status() {
  [ -f "$DIR/data/postmaster.pid" ] && as_pg "$(bindir)/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1 && url
}

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
