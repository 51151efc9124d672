#!/usr/bin/env bash
# Redis on 127.0.0.1, from Debian's redis-server package, for the shared rate-limit store
# (RATELIMIT_STORAGE_URI). Nothing is saved to disk: it is a throwaway for tests and benches.
# Usage: services/redis.sh start|stop|status   (prints the redis:// URL on start/status)
source "$(dirname "$0")/common.sh"
PORT="${REDIS_PORT:-16379}"
DIR="$STATE/redis"
PIDFILE="$DIR/redis.pid"

url() { echo "redis://127.0.0.1:$PORT/0"; }

start() {
  if status >/dev/null; then log "redis already running on 127.0.0.1:$PORT"; url; return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  rm -rf "$DIR" && mkdir -p "$DIR"
  redis-server --bind 127.0.0.1 --port "$PORT" --protected-mode yes --save "" --appendonly no \
      --daemonize yes --pidfile "$PIDFILE" --logfile "$DIR/redis.log" --dir "$DIR" >/dev/null
  if ! wait_for_port "$PORT" 30; then log "redis did not start:"; tail -20 "$DIR/redis.log" >&2; exit 1; fi
  log "redis running on 127.0.0.1:$PORT"
  url
}

stop() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"; log "redis stopped"
  fi
}

status() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && url; }

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
