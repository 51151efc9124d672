#!/usr/bin/env bash
# Start the services the tests and benchmarks need (and make sure Debian's chromium is there), run a command with their addresses in the
# environment, and stop the services afterwards, even when the command fails.
#   services/with-services.sh CMD [ARGS...]
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"

cleanup() {
  "$HERE/redis.sh" stop || true
  "$HERE/stripe.sh" stop || true
  "$HERE/kafka.sh" stop || true
  "$HERE/postgres.sh" stop || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PG_URL=$("$HERE/postgres.sh" start) || { echo "could not start PostgreSQL" >&2; exit 1; }
"$HERE/kafka.sh" start || { echo "could not start Kafka" >&2; exit 1; }
export FLOORBOARD_CHROMIUM="$("$HERE/browser.sh" ensure)" || { echo "could not install chromium" >&2; exit 1; }
export FLOORBOARD_TEST_POSTGRES_URL="$PG_URL"
# The throwaway cluster runs with fsync and synchronous_commit off, for speed; `floorboard serve`
# and `floorboard worker` refuse that unless told it is acceptable, as it is for tests and benches.
export FLOORBOARD_ALLOW_ASYNC_COMMIT=1
export FLOORBOARD_TEST_KAFKA="$("$HERE/kafka.sh" status)"
read -r FLOORBOARD_TEST_LOCALSTRIPE FLOORBOARD_TEST_STRIPE_MOCK < <("$HERE/stripe.sh" start) \
  || { echo "could not start the Stripe API servers" >&2; exit 1; }
export FLOORBOARD_TEST_LOCALSTRIPE FLOORBOARD_TEST_STRIPE_MOCK
export FLOORBOARD_TEST_REDIS="$("$HERE/redis.sh" start)" || { echo "could not start Redis" >&2; exit 1; }

"$@"
