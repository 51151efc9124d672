"""`floorboard serve` and `floorboard worker` refuse a PostgreSQL that answers commits before they
are durable, unless FLOORBOARD_ALLOW_ASYNC_COMMIT=1 says that is acceptable."""

from __future__ import annotations

import secrets
from dataclasses import replace

from click.testing import CliRunner

from cli import cli
from marketplace.bootstrap import refuse_to_start
from tests.conftest import settings_for


def _run(args, url: str):
    env = {
        "DATABASE_URL": url,
        "FLOORBOARD_ALLOW_ASYNC_COMMIT": "",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLOORBOARD_PASSWORD_HASHING": "standard",
        "KAFKA_BOOTSTRAP_SERVERS": "",
    }
    return CliRunner().invoke(cli, args, env=env)


def test_serve_and_worker_refuse_synchronous_commit_off(postgres_url):
    # The shared test cluster runs with synchronous_commit=off and fsync=off.
    for args in (["serve"], ["worker", "pricing"]):
        result = _run(args, postgres_url)
        assert result.exit_code != 0, result.output
        assert "synchronous_commit=off" in result.output and "FLOORBOARD_ALLOW_ASYNC_COMMIT=1" in result.output
        assert "Traceback" not in result.output


def test_the_flag_allows_it_and_fsync_off_is_refused_as_well(postgres_url, private_postgres):
    strict = settings_for(postgres_url)
    assert refuse_to_start(replace(strict, allow_async_commit=False)) is not None
    assert refuse_to_start(replace(strict, allow_async_commit=True)) is None
    durable = settings_for(private_postgres.url)  # synchronous_commit on, fsync still off
    assert "fsync=off" in (refuse_to_start(replace(durable, allow_async_commit=False)) or "")


def test_an_unreachable_database_is_a_clear_refusal(private_postgres):
    private_postgres.stop()
    try:
        result = _run(["worker", "pricing"], private_postgres.url)
        assert result.exit_code != 0 and "cannot check the database" in result.output, result.output
    finally:
        private_postgres.resume()
