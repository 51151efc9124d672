"""Which failures are outages (wait and retry) and which are the event's own (dead-letter)."""

from __future__ import annotations

import logging
import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy import exc as sa_exc

from events.outages import ThrottledLog, backoff_delay, is_temporary


def wrapped(error: BaseException) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError("SELECT 1", {}, error)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        pg.LockNotAvailable("canceling statement due to lock timeout"),
        pg.QueryCanceled("canceling statement due to statement timeout"),
        pg.SerializationFailure("could not serialize access"),
        pg.DeadlockDetected("deadlock detected"),
        pg.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"),
        pg.AdminShutdown("terminating connection due to administrator command"),
        pg.CannotConnectNow("the database system is starting up"),
        pg.TooManyConnections("too many clients"),
        psycopg.OperationalError("connection failed: Connection refused"),
        sqlite3.OperationalError("database is locked"),
    ],
)
def test_outages_are_temporary(error):
    assert is_temporary(error)
    assert is_temporary(wrapped(error))


def test_an_error_raised_while_handling_an_outage_is_temporary_too():
    try:
        try:
            raise wrapped(psycopg.OperationalError("server closed the connection unexpectedly"))
        except sa_exc.OperationalError as exc:
            raise RuntimeError("could not price the task") from exc
    except RuntimeError as exc:
        assert is_temporary(exc)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("cannot handle task 13"),
        KeyError("category"),
        sa_exc.IntegrityError("INSERT", {}, pg.UniqueViolation("duplicate key")),  # type: ignore[arg-type]
        sa_exc.ProgrammingError("SELECT", {}, pg.UndefinedColumn("column x does not exist")),  # type: ignore[arg-type]
        sqlite3.OperationalError("no such table: quotes"),
    ],
)
def test_the_events_own_failures_are_not(error):
    assert not is_temporary(error)


def test_backoff_doubles_up_to_the_cap_with_jitter():
    for attempt in range(12):
        ceiling = min(10.0, 0.2 * 2**attempt)
        delays = [backoff_delay(attempt, 0.2, 10.0) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered


def test_a_throttled_log_says_how_many_lines_it_stood_for(caplog):
    log = ThrottledLog(logging.getLogger("test.throttle"), interval_s=3600)
    caplog.set_level(logging.WARNING, logger="test.throttle")
    assert log.log(logging.WARNING, "db", "database unavailable")
    for _ in range(99):
        assert not log.log(logging.WARNING, "db", "database unavailable")
    assert log.log(logging.WARNING, "other", "something else")
    assert [r.getMessage() for r in caplog.records] == ["database unavailable", "something else"]
    log._last["db"] -= 3600  # the interval passes
    log.log(logging.WARNING, "db", "database unavailable")
    assert "99 more like it" in caplog.records[-1].getMessage()


def test_kafka_python_warnings_are_one_line_per_call_site_and_its_loop_timing_is_debug(caplog):
    from events.kafka_transport import KafkaLogs

    handler = KafkaLogs()

    def warning(message: str, lineno: int) -> None:
        record = logging.LogRecord("kafka.net.selector", logging.WARNING, "selector.py", lineno, message, None, None)
        handler.emit(record)

    caplog.set_level(logging.DEBUG, logger="events.kafka_transport")
    for elapsed in (0.153, 0.102, 0.2):
        warning(f"Task <t> ran for {elapsed}s (>0.100s threshold). It is blocking the event loop -- ...", 668)
    for n in (1, 2, 3):  # the same call site, with different figures each time
        warning(f"Heartbeat session expired after {n} attempts", 300)
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "events.kafka_transport"]
    assert [m for level, m in lines if level >= logging.WARNING] == [
        "kafka-python: Heartbeat session expired after 1 attempts"
    ]
    assert sum("blocking the event loop" in m for level, m in lines if level == logging.DEBUG) == 3
