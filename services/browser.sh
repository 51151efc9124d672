#!/usr/bin/env bash
# Debian's Chromium for the browser tests (driven by the playwright package; never
# `playwright install`, which downloads a browser). Prints the executable's path.
# Usage: services/browser.sh ensure
source "$(dirname "$0")/common.sh"
BROWSER="${FLOORBOARD_CHROMIUM:-/usr/bin/chromium}"

case "${1:-ensure}" in
  ensure)
    if [ ! -x "$BROWSER" ]; then
      log "installing Debian's chromium (apt)"
      apt_install chromium
    fi
    [ -x "$BROWSER" ] || { log "no chromium at $BROWSER"; exit 1; }
    echo "$BROWSER" ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
