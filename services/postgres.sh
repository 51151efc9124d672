#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for tests and benchmarks, from Debian's package.
# initdb refuses to run as root, so the cluster belongs to the postgres user.
# Usage: services/postgres.sh start|stop|crash|resume|status|purge   (prints the DATABASE_URL on start/status)
#   start: a fresh cluster (any old one is wiped); stop: a clean shutdown that keeps the data;
#   crash: an immediate shutdown, as if the server died (it recovers from its WAL on resume);
#   resume: start the existing cluster again, data intact. PG_PORT and FLOORBOARD_STATE choose
#   the port and the state directory, so a fault test can run a cluster of its own.
source "$(dirname "$0")/common.sh"
PORT="${PG_PORT:-15432}"
DB=floorboard

# The cluster runs as the postgres user, which must reach its data directory. A checkout in a
# private folder (root's home is mode 700) is out of its reach, so the cluster then lives under
# /var/tmp instead, in a directory named after the state directory (the same one every time).
reachable_by_others() {
  local d="$1"
  while [ "$d" != "/" ]; do
    [ $((8#$(stat -c %a "$d") & 1)) -eq 1 ] || return 1
    d=$(dirname "$d")
  done
}
if [ "$(id -u)" = 0 ] && ! reachable_by_others "$STATE"; then
  DIR="/var/tmp/floorboard-postgres/$(printf %s "$STATE" | sha256sum | cut -c1-16)"
else
  DIR="$STATE/postgres"
fi

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
  [ "$DIR" = "$STATE/postgres" ] || ln -sfn "$DIR" "$STATE/postgres"  # where to look for its logs
  as_pg "$bin/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1
  launch "$bin"
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
  log "postgres running on 127.0.0.1:$PORT"
  url
}

# The test cluster trades durability for speed: fsync and synchronous_commit are off, so a crash
# of the *machine* (not of PostgreSQL alone) can lose the last commits. Production must not run
# like this; `floorboard serve` and `floorboard worker` refuse synchronous_commit=off unless
# FLOORBOARD_ALLOW_ASYNC_COMMIT=1, which the test suite sets for this cluster. PG_SYNCHRONOUS_COMMIT=on
# gives the crash tests a cluster whose answered commits survive a crash of PostgreSQL.
launch() {
  as_pg "$1/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=${PG_SYNCHRONOUS_COMMIT:-off} -c full_page_writes=off -c max_connections=200" >/dev/null
}

crash() {
  [ -d "$DIR/data" ] && as_pg "$(bindir)/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  log "postgres on 127.0.0.1:$PORT stopped at once (immediate)"
}

resume() {
  if status >/dev/null; then url; return; fi
  [ -d "$DIR/data" ] || { log "no cluster in $DIR to resume; use start"; exit 1; }
  launch "$(bindir)"
  log "postgres resumed on 127.0.0.1:$PORT"
  url
}

stop() {
  if [ -d "$DIR/data" ]; then
    as_pg "$(bindir)/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    log "postgres stopped"
  fi
}

# purge: a stopped cluster's files, wherever they live (a fault test's own cluster, when it is done).
purge() {
  stop
  rm -rf "$DIR" "$STATE/postgres"
}

status() {
  [ -f "$DIR/data/postmaster.pid" ] && as_pg "$(bindir)/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1 && url
}

case "${1:-}" in
  start) start ;; stop) stop ;; crash) crash ;; resume) resume ;; status) status ;; purge) purge ;;
  *) echo "usage: $0 start|stop|crash|resume|status|purge" >&2; exit 2 ;;
esac
