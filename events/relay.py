"""The relay publishes the outbox to Kafka, in log order, then stamps the rows published.

It never holds a database transaction across a network call: it reads a batch and ends that
transaction, publishes with a bounded wait for the broker's acknowledgements, then stamps the
batch in a second short transaction. While Kafka is down the relay holds no transaction at all,
so vacuum on `event_log` and `processed_events` is never held back by it.

A relay that dies (or times out) after sending but before stamping sends those rows again: a
duplicate, never a loss; consumers drop duplicates by event id. Only one relay publishes at a time:
on PostgreSQL it holds a session-level advisory lock on a connection of its own (outside any
transaction), so a second relay process is a hot standby that takes over when the first one's
connection goes away.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from events.outages import Outage, backoff_delay, describe
from events.sqltypes import utcnow
from events.tables import EventLogRow
from events.transport import Publisher

log = logging.getLogger(__name__)
_RELAY_LOCK = 0x52656C6179


class Relay:
    def __init__(self, engine: Engine, publisher: Publisher, batch_size: int = 2000, publish_timeout_s: float = 10.0):
        self.engine = engine
        self.publisher = publisher
        self.batch_size = batch_size
        self.publish_timeout_s = publish_timeout_s
        self._lock_connection: Connection | None = None
        self.standing_by = False
        self.outage = Outage(log, "relay: the broker or the database")

    def holds_lock(self) -> bool:
        """On PostgreSQL: take (or confirm) the one-relay-at-a-time lock. Elsewhere: always True."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._lock_connection is not None:
            try:
                self._lock_connection.execute(text("SELECT 1"))  # the lock lives as long as this connection
                return True
            except Exception:  # noqa: BLE001 - a dead connection has lost the lock; take it again below
                self._release()
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _RELAY_LOCK}).scalar()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()  # another relay publishes; this one stands by
            self.standing_by = True
            return False
        self.standing_by = False
        log.info("relay: this process now publishes the outbox")
        self._lock_connection = connection
        return True

    def _release(self) -> None:
        """Unlock, then hand the connection back; a broken one is thrown away (its session, and
        the lock with it, ended with it). Closing alone would keep the lock: the pool keeps the
        session open."""
        connection, self._lock_connection = self._lock_connection, None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _RELAY_LOCK})
            connection.close()
        except Exception:  # noqa: BLE001 - the connection is gone, and with it the lock
            connection.invalidate()
            connection.close()

    def run_once(self) -> int:
        if not self.holds_lock():
            return 0
        with Session(self.engine) as session:  # a short read; the transaction ends with the block
            rows = session.exec(
                select(EventLogRow.seq, EventLogRow.topic, EventLogRow.key, EventLogRow.value)
                .where(col(EventLogRow.published_at).is_(None))
                .order_by(col(EventLogRow.seq))
                .limit(self.batch_size)
            ).all()
        if not rows:
            return 0
        self.publisher.publish([(topic, key, value) for _, topic, key, value in rows], timeout_s=self.publish_timeout_s)
        with Session(self.engine) as session:
            session.exec(
                update(EventLogRow)
                .where(col(EventLogRow.seq).in_([seq for seq, *_ in rows]))
                .values(published_at=utcnow())
            )
            session.commit()
        return len(rows)

    def run(self, stop: threading.Event, idle_s: float = 0.05) -> None:
        log.info("relay started")
        attempt = 0
        while not stop.is_set():
            try:
                published = self.run_once()
            except Exception as exc:  # noqa: BLE001 - the broker or the database is away: wait, keep the rows
                self.outage.failed(exc)
                log.debug("relay: %s", describe(exc))
                stop.wait(backoff_delay(attempt, 0.2, 5.0))
                attempt += 1
                continue
            attempt = 0
            self.outage.recovered()
            if published == 0:
                stop.wait(1.0 if self.standing_by else idle_s)
            elif published < self.batch_size:
                # Caught up: a short pause, so a steady stream goes out in batches of what arrived
                # meanwhile instead of a read, a send and a stamp per posting. A backlog (a full
                # batch) still drains at full speed.
                stop.wait(idle_s / 2)
        self.close()
        log.info("relay stopped")

    def close(self) -> None:
        """Give up the lock (a standby takes over) and close the producer."""
        self._release()
        self.publisher.close()
