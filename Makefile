# The two commands a newcomer runs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench install lint typecheck unit check services-up services-down clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## run: the web app and every worker in one process, on SQLite and the embedded event log
##      (options go through ARGS, e.g. make run ARGS="--port 5001 --mail-port 8026")
run: install
	$(BIN)/floorboard dev $(ARGS)

## test: lint and typecheck, then start PostgreSQL, Kafka, Redis and the Stripe API servers on 127.0.0.1, run the whole suite, stop them
test: install lint typecheck
	services/with-services.sh $(BIN)/pytest $(PYTEST_ARGS)

## lint: ruff's checks and its formatting over the whole tree, and the layers' import contracts
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## typecheck: mypy over every package (strict on pricing/ and events/)
typecheck: install
	$(BIN)/mypy

## unit: the tests that need no service (pure code, and use cases on SQLite)
unit: install
	$(BIN)/pytest -q -n 2 tests/unit tests/service $(PYTEST_ARGS)

## check: lint, typecheck and unit, in under a minute, with no services
check: lint typecheck unit

## bench: throughput figures, as ratios measured in one run against the same services
bench: install
	services/with-services.sh $(BIN)/python -m bench $(BENCH_ARGS)

## services-up / services-down: keep the test services running while you work
services-up:
	@services/postgres.sh start
	@services/kafka.sh start
	@services/stripe.sh start >/dev/null
	@services/redis.sh start >/dev/null
	@services/browser.sh ensure >/dev/null
	@echo "export FLOORBOARD_TEST_POSTGRES_URL=$$(services/postgres.sh status) FLOORBOARD_TEST_KAFKA=$$(services/kafka.sh status)" \
	  "FLOORBOARD_TEST_LOCALSTRIPE=$$(services/stripe.sh status | cut -d' ' -f1) FLOORBOARD_TEST_STRIPE_MOCK=$$(services/stripe.sh status | cut -d' ' -f2)" \
	  "FLOORBOARD_TEST_REDIS=$$(services/redis.sh status)"

services-down:
	services/redis.sh stop
	services/stripe.sh stop
	services/kafka.sh stop
	services/postgres.sh stop

clean: services-down
	rm -rf $(VENV) .services floorboard.db* .pytest_cache .hypothesis
