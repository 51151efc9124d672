"""Shared fixtures. PostgreSQL and Kafka are REQUIRED: `make test` starts them and exports
FLOORBOARD_TEST_POSTGRES_URL and FLOORBOARD_TEST_KAFKA. A test that needs one and cannot
reach it fails; it never skips.

Every test gets its own database, cloned from a template migrated with `alembic upgrade head`
(the schema is never made with create_all), and its own Kafka topic prefix.
"""

from __future__ import annotations

import os
import secrets
import shutil
import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from marketplace.bootstrap import Platform, bootstrap
from marketplace.settings import Settings
from migrations import upgrade

os.environ.setdefault("SECRET_KEY", "test-" + secrets.token_urlsafe(24))
# argon2 at its cheapest: at the standard cost, hashing was most of the HTTP tests' run time.
os.environ.setdefault("FLOORBOARD_PASSWORD_HASHING", "cheapest-for-tests")
# The test cluster runs with synchronous_commit and fsync off, for speed (services/postgres.sh):
# the workers and `serve` the tests start would refuse it otherwise. The crash tests use a
# cluster of their own with synchronous_commit on, and tests/integration/test_durability.py
# checks the refusal itself.
os.environ.setdefault("FLOORBOARD_ALLOW_ASYNC_COMMIT", "1")
PG_URL = os.environ.get("FLOORBOARD_TEST_POSTGRES_URL")
KAFKA = os.environ.get("FLOORBOARD_TEST_KAFKA")
LOCALSTRIPE = os.environ.get("FLOORBOARD_TEST_LOCALSTRIPE")
STRIPE_MOCK = os.environ.get("FLOORBOARD_TEST_STRIPE_MOCK")
REDIS = os.environ.get("FLOORBOARD_TEST_REDIS")
HOW_TO = "run the suite with `make test`, which starts PostgreSQL, Kafka, Redis and the Stripe API servers on 127.0.0.1"


def _pg_conninfo(url: str, dbname: str | None = None) -> str:
    u = make_url(url)
    return f"host={u.host} port={u.port} user={u.username} dbname={dbname or u.database}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    if not PG_URL:
        pytest.fail(f"PostgreSQL is required but FLOORBOARD_TEST_POSTGRES_URL is not set: {HOW_TO}")
    try:
        psycopg.connect(_pg_conninfo(PG_URL), connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable ({exc}): {HOW_TO}")
    return PG_URL


def _admin(url: str):
    return psycopg.connect(_pg_conninfo(url, "postgres"), autocommit=True)


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str:
    name = f"fb_template_{uuid.uuid4().hex[:8]}"
    with _admin(postgres_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    upgrade(make_url(postgres_server).set(database=name).render_as_string(hide_password=False))
    yield name
    with _admin(postgres_server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_server, postgres_template) -> str:
    name = f"fb_test_{uuid.uuid4().hex[:12]}"
    with _admin(postgres_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    with _admin(postgres_server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "floorboard.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def kafka_server() -> str:
    if not KAFKA:
        pytest.fail(f"Kafka is required but FLOORBOARD_TEST_KAFKA is not set: {HOW_TO}")
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        KafkaAdminClient(bootstrap_servers=KAFKA, request_timeout_ms=10_000).close()
    except KafkaError as exc:
        pytest.fail(f"Kafka at {KAFKA} is unreachable ({exc}): {HOW_TO}")
    return KAFKA


def _reachable(name: str, url: str | None, variable: str) -> str:
    import requests

    if not url:
        pytest.fail(f"{name} is required but {variable} is not set: {HOW_TO}")
    try:
        requests.get(url, timeout=5)
    except requests.RequestException as exc:
        pytest.fail(f"{name} at {url} is unreachable ({exc}): {HOW_TO}")
    return url


@pytest.fixture(scope="session")
def redis_server() -> str:
    if not REDIS:
        pytest.fail(f"Redis is required but FLOORBOARD_TEST_REDIS is not set: {HOW_TO}")
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS} is unreachable ({exc}): {HOW_TO}")
    return REDIS


@pytest.fixture(scope="session")
def localstripe_server() -> str:
    return _reachable("localstripe", LOCALSTRIPE, "FLOORBOARD_TEST_LOCALSTRIPE")


@pytest.fixture(scope="session")
def stripe_mock_server() -> str:
    return _reachable("stripe-mock", STRIPE_MOCK, "FLOORBOARD_TEST_STRIPE_MOCK")


@pytest.fixture
def stripe_settings(localstripe_server, stripe_mock_server) -> dict:
    """Settings overrides: card holds on localstripe, Connect accounts and transfers on stripe-mock."""
    return {
        "stripe_secret_key": "sk_test_floorboard",
        "stripe_publishable_key": "pk_test_floorboard",
        "stripe_webhook_secret": "whsec_" + secrets.token_hex(16),
        "stripe_api_base": localstripe_server,
        "stripe_connect_api_base": stripe_mock_server,
        "stripe_js_url": f"{localstripe_server}/js.stripe.com/v3/",
    }


ANY_TIME_S = 10 * 365 * 24 * 3600


def settings_for(database_url: str, kafka: str | None = None, **overrides) -> Settings:
    base = Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka or "",
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "FLOORBOARD_PASSWORD_HASHING": os.environ["FLOORBOARD_PASSWORD_HASHING"],
        }
    )
    values = {
        **base.__dict__,
        "topic_prefix": f"t{uuid.uuid4().hex[:10]}." if kafka else "",
        "kafka_session_timeout_ms": 6000,
        "consumer_retry_backoff_s": 0.01,
        # The suite's tasks start days ahead and are worked at once; the start window has its own tests.
        "start_early_s": ANY_TIME_S,
        "completion_tolerance_s": ANY_TIME_S,  # likewise: a task started a moment ago is completed after hours
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def make_platform():
    """make_platform(database_url, kafka=None, **settings) -> a Platform, closed after the test."""
    made: list[Platform] = []

    def make(database_url: str, kafka: str | None = None, **overrides) -> Platform:
        platform = bootstrap(settings_for(database_url, kafka, **overrides))
        if kafka:
            platform.transport.ensure_topics()
        made.append(platform)
        return platform

    yield make
    for platform in made:
        if platform.transport.name == "kafka" and platform.settings.topic_prefix:
            from events.topics import all_topic_names

            try:
                platform.transport.admin.delete_topics(
                    [platform.settings.topic_prefix + t for t in all_topic_names()], timeout_ms=30_000
                )
            except Exception:  # noqa: BLE001 - cleanup is best effort; the broker is thrown away after
                pass
        platform.close()


def pytest_collection_modifyitems(items) -> None:
    """Mark each test with the services it uses, from its fixtures: `-m "not kafka"` then selects."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        # Fixtures that pick a backbone by parameter ("kafka+postgres") ask for the service fixtures by name.
        params = " ".join(str(v) for v in getattr(getattr(item, "callspec", None), "params", {}).values())
        if names & {"postgres_url", "postgres_server", "postgres_template"} or "postgres" in params:
            item.add_marker(pytest.mark.postgres)
        if "kafka_server" in names or "kafka" in params:
            item.add_marker(pytest.mark.kafka)
        if "redis_server" in names:
            item.add_marker(pytest.mark.redis)
        if names & {"localstripe_server", "stripe_mock_server", "stripe_settings"}:
            item.add_marker(pytest.mark.stripe)


@pytest.fixture
def platform(sqlite_url, make_platform) -> Platform:
    """A SQLite platform seeded with the demo regions, categories and floors (no demo logins)."""
    from tests.support import seeded

    return seeded(make_platform(sqlite_url), demo_users=False)


BACKBONES = ["embedded+sqlite", "embedded+postgres", "kafka+postgres"]


@pytest.fixture(params=BACKBONES)
def backbone(request, make_platform) -> Platform:
    """The same test on each transport (and the embedded log on each database)."""
    transport, database = request.param.split("+")
    url = request.getfixturevalue(f"{database}_url")
    kafka = request.getfixturevalue("kafka_server") if transport == "kafka" else None
    return make_platform(url, kafka)


@pytest.fixture
def private_postgres(postgres_server):
    """A PostgreSQL cluster of this test's own, migrated, to stop and crash mid-test."""
    from tests.faults import PrivatePostgres

    cluster = PrivatePostgres()
    try:
        upgrade(cluster.start())
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            cluster.remove()


@pytest.fixture
def private_kafka(kafka_server):
    """An Apache Kafka broker of this test's own, to kill -9 and restart mid-test."""
    from tests.faults import PrivateKafka

    broker = PrivateKafka()
    try:
        broker.start()
        yield broker
    finally:
        try:
            broker.stop()
        finally:
            broker.remove()
