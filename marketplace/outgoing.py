"""Calls that leave the process: one leased sender design for Stripe, SMTP and webhooks.

A use case never calls out. It writes a *call row* (what to call, with its arguments, its
idempotency key and what it is for) in its own unit of work, beside the state it changes. A
sender then moves each row through these states:

    pending --claim--> sending --answer--> sent
       ^                  |  \\--refused--> failed          (this row alone, with its reason)
       |                  |--try later--> pending           (after a capped backoff; failed once
       |                  |                                  its channel gives up on it)
       +--- lease ends ---+                                  (the sender died mid-call)

1. **Claim**: one short unit of work takes up to `batch` due rows (SKIP LOCKED on PostgreSQL, so
   two senders never share a row), counts the attempt and leases them until now + the lease.
2. **Call**: each row with no transaction open. What the other side says is an `Outcome`:
   `Answered` (done: a 2xx, a sent mail, Stripe's object or its decline), `TryLater` (this row
   only: an SMTP 4xx, an endpoint's 5xx) or `Refused` (this row, for good: a bad URL, a header
   the mail library refuses, an SMTP 5xx, an invalid request). Any unexpected exception while
   calling is that row's own `Refused`, with its reason: one bad row never stops the batch.
   Only `Unreachable` (connection refused, a timeout, Stripe's 5xx or 429) is an outage: the row
   and the rest of the batch go back to pending untouched, the outage is logged once, and the
   loop waits with capped backoff before probing again with a single row.
3. **Record**: the answer in a unit of work of its own, with the work that follows from it (a
   ledger posting, the next call). A compare-and-set on (status, attempts) keeps a late answer
   from a sender whose lease ran out from being recorded twice.

A sender that dies between a call and its record leaves the row `sending`; the lease runs out,
the row is claimed again, and the channel repeats the call with the same idempotency key (a
channel for which that is not enough looks the first answer up before calling again).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from prometheus_client import Counter
from sqlalchemy import or_
from sqlmodel import col, select, update

from events.outages import Outage, backoff_delay, describe, is_temporary
from events.wakeup import Waiter
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

ANSWERED = Counter("floorboard_outgoing_answered_total", "Outgoing calls answered", ["channel"])
RETRIED = Counter("floorboard_outgoing_retried_total", "Outgoing calls to try again later", ["channel"])
REFUSED = Counter("floorboard_outgoing_failed_total", "Outgoing calls failed for good, each alone", ["channel"])
OUTAGES = Counter("floorboard_outgoing_outages_total", "Rounds cut short by an unreachable service", ["channel"])

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_ERROR = 500


@dataclass(frozen=True)
class Answered:
    """The other side did what was asked (or answered it for good, e.g. a card decline that the
    record step turns into a state): `answer` is what the record step needs."""

    answer: Any = None
    status_code: int | None = None


@dataclass(frozen=True)
class TryLater:
    """This row, and only it, may work later (an SMTP 4xx, an endpoint's 5xx or timeout)."""

    reason: str
    status_code: int | None = None


@dataclass(frozen=True)
class Refused:
    """This row cannot work: failed for good with its reason; the rest of the batch goes on."""

    reason: str
    status_code: int | None = None


Outcome = Answered | TryLater | Refused


class Unreachable(Exception):
    """The service itself is away (connection refused, a timeout, Stripe's 5xx/429): an outage,
    not this row's fault. The sender stops the round and waits."""


R = TypeVar("R")


class Channel(Protocol[R]):
    """What one kind of outgoing call needs to say; the sender does the rest."""

    name: str  # for logs and metrics: "email", "webhook", "stripe"
    model: type[R]  # the table: id, status, attempts, next_attempt_at, lease_until, last_error, created_at

    def connection(self) -> AbstractContextManager[Any]:
        """Something shared by a round's calls (an SMTP conversation), or nullcontext()."""
        ...

    def call(self, row: R, connection: Any) -> Outcome:
        """Make the call, with no transaction open. Raise Unreachable for an outage."""
        ...

    def record(self, uow: UnitOfWork, row: R, outcome: Outcome) -> None:
        """In the unit of work that marks the row: what follows from the answer."""
        ...

    def retry_at(self, row: R, now: datetime) -> datetime | None:
        """When a TryLater row is due again, or None to give up on it (failed)."""
        ...


def default_retry_at(
    row: Any, now: datetime, give_up_after: timedelta, first: timedelta, cap: timedelta
) -> datetime | None:
    """Capped exponential backoff from `first`, given up once the row is `give_up_after` old."""
    if now - row.created_at >= give_up_after:
        return None
    return now + min(first * 2 ** max(0, row.attempts - 1), cap)


@dataclass
class LeasedSender(Generic[R]):
    """Claims due rows of `channel.model`, calls, records; see the module docstring."""

    channel: Channel[R]
    uow_factory: UnitOfWorkFactory
    lease: timedelta = timedelta(minutes=2)
    batch: int = 50
    after_call: Callable[[Any], None] | None = None  # a seam for crash tests: runs between call and record

    def __post_init__(self) -> None:
        self.outage = Outage(log, f"{self.channel.name}: the service")
        self._probe = False  # during an outage, one row per round

    # -- claim ---------------------------------------------------------------------------------
    def claim(self, now: datetime, limit: int) -> list[R]:
        model: Any = self.channel.model
        with self.uow_factory() as uow:
            s = uow.session
            due = or_(
                col(model.status) == PENDING,
                (col(model.status) == SENDING) & (col(model.lease_until) < now),
            )
            query = select(model).where(due, col(model.next_attempt_at) <= now).order_by(col(model.id)).limit(limit)
            if s.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(s.exec(query))
            for row in rows:
                row.status, row.lease_until, row.attempts = SENDING, now + self.lease, row.attempts + 1
                s.add(row)
            uow.commit()
            for row in rows:
                s.refresh(row)
            s.expunge_all()
            return rows

    # -- one round -----------------------------------------------------------------------------
    def send_due(self) -> int:
        """Claim what is due and call it; how many rows were answered. Raises Unreachable (after
        putting the round's rows back) when the service is away."""
        rows = self.claim(utcnow(), 1 if self._probe else self.batch)
        if not rows:
            return 0
        answered = 0
        with self.channel.connection() as connection:
            for index, row in enumerate(rows):
                try:
                    outcome = self.channel.call(row, connection)
                except Unreachable as exc:
                    self._put_back(rows[index:], str(exc))
                    self._probe = True
                    raise
                except Exception as exc:
                    if is_temporary(exc):
                        self._put_back(rows[index:], describe(exc))
                        raise
                    log.warning("%s: row %s refused: %s", self.channel.name, row.id, describe(exc))  # type: ignore[attr-defined]
                    outcome = Refused(describe(exc))
                if self.after_call is not None:
                    self.after_call(row)
                self._record(row, outcome)
                answered += isinstance(outcome, Answered)
        self._probe = False
        return answered

    def _put_back(self, rows: list[R], reason: str) -> None:
        """Rows the outage kept from an answer: due again after a pause, the try not counted."""
        model: Any = self.channel.model
        again = utcnow() + timedelta(seconds=5)
        with self.uow_factory() as uow:
            for row in rows:
                uow.session.exec(
                    update(model)
                    .where(col(model.id) == row.id, col(model.status) == SENDING, col(model.attempts) == row.attempts)  # type: ignore[attr-defined]
                    .values(
                        status=PENDING,
                        attempts=row.attempts - 1,  # type: ignore[attr-defined]
                        lease_until=None,
                        next_attempt_at=again,
                        last_error=f"Unreachable: {reason}"[:MAX_ERROR],
                    )
                )
            uow.commit()

    def _mark(self, uow: UnitOfWork, row: R, status: str, error: str, **more: Any) -> bool:
        model: Any = self.channel.model
        result = uow.session.exec(
            update(model)
            .where(col(model.id) == row.id, col(model.status) == SENDING, col(model.attempts) == row.attempts)  # type: ignore[attr-defined]
            .values(status=status, lease_until=None, last_error=error[:MAX_ERROR], **more)
        )
        return result.rowcount == 1

    def _record(self, row: R, outcome: Outcome) -> None:
        name = self.channel.name
        now = utcnow()
        more: dict[str, Any] = {}
        if isinstance(outcome, Answered):
            status, error = SENT, ""
            ANSWERED.labels(name).inc()
        elif isinstance(outcome, Refused):
            status, error = FAILED, outcome.reason
            REFUSED.labels(name).inc()
        else:
            due = self.channel.retry_at(row, now)
            if due is None:
                status, error = FAILED, f"Given up: {outcome.reason}"
                REFUSED.labels(name).inc()
            else:
                status, error = PENDING, outcome.reason
                more["next_attempt_at"] = due
                RETRIED.labels(name).inc()
        try:
            with self.uow_factory() as uow:
                if self._mark(uow, row, status, error, **more):
                    self.channel.record(uow, row, outcome)
                uow.commit()
        except Exception as exc:
            if is_temporary(exc):
                raise  # the database is away: the lease runs out and the row is asked again
            # The answer could not be recorded (a bug, not the row's input): fail the row loudly,
            # keeping what the service said, for an operator (and `floorboard audit`) to see.
            log.exception("%s: row %s answered but not recorded", name, row.id)  # type: ignore[attr-defined]
            with self.uow_factory() as uow:
                self._mark(uow, row, FAILED, f"Answered but not recorded ({describe(exc)}): {outcome!r}")
                uow.commit()
            REFUSED.labels(name).inc()

    # -- the loop ------------------------------------------------------------------------------
    def round(self) -> int:
        """One round for the loop: how many rows were answered, or -1 when the service is away
        (the outage is logged once, then now and then, and counted)."""
        try:
            sent = self.send_due()
        except Unreachable as exc:
            OUTAGES.labels(self.channel.name).inc()
            self.outage.failed(exc)
            return -1
        self.outage.recovered()
        return sent

    def run_once(self, timeout_s: float = 0.0) -> int:
        """One round, for tests and hand-driven pipelines: how many rows were answered."""
        return max(0, self.round())


class SendLoop:
    """Runs a sender until stopped: rounds back to back while there is work, `idle_s` between
    empty rounds, a capped backoff while the service or the database is away (a round that
    returns a negative number, or raises)."""

    def __init__(
        self,
        name: str,
        rounds: Callable[[], int],
        idle_s: float = 1.0,
        max_backoff_s: float = 60.0,
        bell: Waiter | None = None,
    ):
        self.name = name
        self.rounds = rounds
        self.idle_s = idle_s  # with a bell, only the slow poll: a commit of new rows rings it
        self.max_backoff_s = max_backoff_s
        self.db_outage = Outage(log, f"{name}: the database")
        self.failures = 0
        self.bell = bell

    def round(self) -> int:
        """One round; the database being away is waited out, counted in `failures`."""
        try:
            sent = self.rounds()
        except Exception as exc:
            if not is_temporary(exc):
                log.exception("%s: round failed", self.name)
            self.db_outage.failed(exc)
            self.failures += 1
            return -1
        self.db_outage.recovered()
        self.failures = self.failures + 1 if sent < 0 else 0
        return sent

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            sent = self.round()
            if sent > 0:
                continue
            if sent < 0:  # new rows do not cut an outage's backoff short
                stop.wait(backoff_delay(self.failures, 1.0, self.max_backoff_s))
            elif self.bell is not None:
                self.bell.wait(self.idle_s, stop)
            else:
                stop.wait(self.idle_s)

    def close(self) -> None:
        if self.bell is not None:
            self.bell.close()
