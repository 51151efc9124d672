# Shared by the service scripts: where state and caches live, and small helpers.
# State (data dirs, logs, pids) is per checkout; downloads are cached per machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${FLOORBOARD_STATE:-$ROOT/.services}"
CACHE="${FLOORBOARD_CACHE:-$HOME/.cache/floorboard}"
mkdir -p "$STATE" "$CACHE"

log() { printf '[services] %s\n' "$*" >&2; }

# wait_for_port PORT SECONDS: succeed once something listens on 127.0.0.1:PORT.
wait_for_port() {
  local port=$1 deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ((SECONDS > deadline)); then return 1; fi
    sleep 0.5
  done
}

apt_install() {
  if [ ! -f "$STATE/.apt-updated" ]; then
    apt-get update -qq && touch "$STATE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
