"""Telling an outage from a bad event, and logging outages without flooding the log.

A *temporary* failure is one the same work would not meet on a healthy database a moment later:
the connection was refused or dropped, a lock or statement timeout fired, a serialization failure
or deadlock rolled the transaction back, the server is shutting down or read-only, or SQLite was
busy. Such work is retried until it succeeds; it never goes to a dead-letter topic.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Iterator

import psycopg
from sqlalchemy import exc as sa_exc

# SQLSTATE classes: 08 connection exception, 40 transaction rollback (serialization failure,
# deadlock), 53 insufficient resources (too many connections, out of memory, disk full),
# 57 operator intervention (statement timeout = query_canceled, admin shutdown, cannot connect now).
_TEMPORARY_CLASSES = frozenset({"08", "40", "53", "57"})
# 55P03 lock_not_available (lock_timeout), 25006 read_only_sql_transaction (a standby, or a primary
# being failed over), 58030 io_error.
_TEMPORARY_STATES = frozenset({"55P03", "25006", "58030"})
_SQLITE_TEMPORARY = ("database is locked", "database table is locked", "disk i/o error", "unable to open database")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # SQLAlchemy's wrapper around the driver's error
        todo.extend([current.__cause__, current.__context__, orig if isinstance(orig, BaseException) else None])


def is_temporary(exc: BaseException) -> bool:
    """True when `exc`, or any error that caused it, says the database is (briefly) unavailable,
    or is a service's error that says so of itself (`temporary = True`: the payment gateway's,
    when Stripe cannot be reached): the work is held and retried, never dead-lettered."""
    for error in _chain(exc):
        if getattr(error, "temporary", False) is True:
            return True
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, (sa_exc.TimeoutError, sa_exc.DisconnectionError)):  # pool exhausted; a dead connection
            return True
        if isinstance(error, psycopg.Error):
            state = error.sqlstate
            if state is None:
                # No SQLSTATE means the server never answered: refused, reset, or closed under us.
                return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))
            if state[:2] in _TEMPORARY_CLASSES or state in _TEMPORARY_STATES:
                return True
        if isinstance(error, sqlite3.OperationalError) and str(error).lower().startswith(_SQLITE_TEMPORARY):
            return True
    return False


def describe(exc: BaseException) -> str:
    """One line naming the error, without SQLAlchemy's SQL text and background link."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:300]


def backoff_delay(attempt: int, base_s: float, cap_s: float) -> float:
    """Capped exponential backoff with jitter: between half and all of min(cap, base * 2**attempt),
    so members that failed together do not all come back at the same instant."""
    ceiling: float = min(cap_s, base_s * 2.0 ** min(attempt, 30))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class ThrottledLog:
    """At most one line per kind of failure per interval; the line says how many it stood for.

    During an outage every request or batch fails the same way; one line every few seconds, with
    a count, says as much as thousands of tracebacks would.
    """

    def __init__(self, logger: logging.Logger, interval_s: float = 10.0):
        self.logger = logger
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def log(self, level: int, kind: str, message: str) -> bool:
        """Log `message` unless `kind` was logged within the interval; True if it was logged."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.interval_s:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return False
            self._last[kind] = now
            suppressed = self._suppressed.pop(kind, 0)
        if suppressed and last is not None:
            message += f" ({suppressed} more like it in the last {now - last:.0f} s)"
        self.logger.log(level, "%s", message)
        return True


class Outage:
    """One WARNING when a dependency goes away, a reminder with a count every interval while it
    stays away, and one INFO when it is back."""

    def __init__(self, logger: logging.Logger, what: str, interval_s: float = 30.0):
        self.what = what
        self.logger = logger
        self.interval_s = interval_s
        self.started: float | None = None
        self.failures = 0
        self._reminded = 0.0

    @property
    def ongoing(self) -> bool:
        return self.started is not None

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        if self.started is None:
            self.started = self._reminded = now
            self.logger.warning("%s is unavailable (%s); holding the work and retrying", self.what, describe(exc))
        elif now - self._reminded >= self.interval_s:
            self._reminded = now
            self.logger.warning(
                "%s is still unavailable after %.0f s, %d failed attempts (%s)",
                self.what,
                now - self.started,
                self.failures,
                describe(exc),
            )

    def recovered(self) -> None:
        if self.started is None:
            return
        self.logger.info(
            "%s is back after %.1f s (%d failed attempts)", self.what, time.monotonic() - self.started, self.failures
        )
        self.started = None
        self.failures = 0
