#!/usr/bin/env bash
# The local Stripe API servers for tests, both on 127.0.0.1:
#   localstripe (PyPI, stateful: PaymentIntents, refunds, signed webhooks, a fake Stripe.js)
#     in its own venv under the cache, started by localstripe_loopback.py (its CLI binds every
#     interface);
#   stripe-mock (`go install github.com/stripe/stripe-mock@v0.203.0`; validates requests against
#     Stripe's OpenAPI spec: Connect accounts and transfers).
# Usage: services/stripe.sh start|stop|status|localstripe-python
#   (status prints "LOCALSTRIPE_URL STRIPE_MOCK_URL"; localstripe-python installs localstripe if need be
#   and prints its interpreter, for tests that run a private localstripe they can stop and start)
source "$(dirname "$0")/common.sh"
LS_VERSION=1.15.10
MOCK_VERSION=v0.203.0
LS_PORT="${LOCALSTRIPE_PORT:-18420}"
MOCK_PORT="${STRIPE_MOCK_PORT:-18421}"
LS_VENV="$CACHE/localstripe-$LS_VERSION"
MOCK_BIN="$CACHE/stripe-mock-$MOCK_VERSION/stripe-mock"
DIR="$STATE/stripe"

install() {
  if [ ! -x "$LS_VENV/bin/python" ] || ! "$LS_VENV/bin/python" -c "import localstripe" 2>/dev/null; then
    log "installing localstripe $LS_VERSION into $LS_VENV"
    python3 -m venv "$LS_VENV"
    "$LS_VENV/bin/pip" install --quiet "localstripe==$LS_VERSION"
  fi
  if [ ! -x "$MOCK_BIN" ]; then
    command -v go >/dev/null || apt_install golang-go
    log "building stripe-mock $MOCK_VERSION (go install)"
    GOBIN="$(dirname "$MOCK_BIN")" go install "github.com/stripe/stripe-mock@$MOCK_VERSION"
  fi
}

urls() { echo "http://127.0.0.1:$LS_PORT http://127.0.0.1:$MOCK_PORT"; }

status() {
  (exec 3<>"/dev/tcp/127.0.0.1/$LS_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$MOCK_PORT") 2>/dev/null \
    && urls
}

start() {
  if status >/dev/null; then log "stripe servers already running"; urls; return; fi
  install
  mkdir -p "$DIR"
  nohup "$LS_VENV/bin/python" "$(dirname "$0")/localstripe_loopback.py" "$LS_PORT" >"$DIR/localstripe.log" 2>&1 &
  echo $! >"$DIR/localstripe.pid"
  nohup "$MOCK_BIN" -http-addr "127.0.0.1:$MOCK_PORT" >"$DIR/stripe-mock.log" 2>&1 &
  echo $! >"$DIR/stripe-mock.pid"
  wait_for_port "$LS_PORT" 60 || { log "localstripe did not start"; cat "$DIR/localstripe.log" >&2; exit 1; }
  wait_for_port "$MOCK_PORT" 60 || { log "stripe-mock did not start"; cat "$DIR/stripe-mock.log" >&2; exit 1; }
  log "localstripe on 127.0.0.1:$LS_PORT, stripe-mock on 127.0.0.1:$MOCK_PORT"
  urls
}

stop() {
  for name in localstripe stripe-mock; do
    if [ -f "$DIR/$name.pid" ]; then
      kill "$(cat "$DIR/$name.pid")" 2>/dev/null || true
      rm -f "$DIR/$name.pid"
    fi
  done
  log "stripe servers stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  localstripe-python) install >&2; echo "$LS_VENV/bin/python" ;;
  *) echo "usage: $0 start|stop|status|localstripe-python" >&2; exit 2 ;;
esac
