"""The relay publishes the outbox to Kafka, in log order, then stamps the rows published.

A relay that dies after sending but before stamping sends those rows again on restart: a
duplicate, never a loss; consumers drop duplicates by event id. Only one relay publishes at a
time (a PostgreSQL advisory lock), so a second relay process is a hot standby.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from events.sqltypes import utcnow
from events.tables import EventLogRow
from events.transport import Publisher

log = logging.getLogger(__name__)
_RELAY_LOCK = 0x52656C6179


class Relay:
    def __init__(self, engine: Engine, publisher: Publisher, batch_size: int = 2000):
        self.engine = engine
        self.publisher = publisher
        self.batch_size = batch_size

    def run_once(self) -> int:
        with Session(self.engine) as session:
            if self.engine.dialect.name == "postgresql":
                got = (
                    session.connection()
                    .execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _RELAY_LOCK})
                    .scalar()
                )
                if not got:
                    return 0
            rows = session.exec(
                select(EventLogRow)
                .where(col(EventLogRow.published_at).is_(None))
                .order_by(col(EventLogRow.seq))
                .limit(self.batch_size)
            ).all()
            if not rows:
                return 0
            self.publisher.publish([(r.topic, r.key, r.value) for r in rows])
            session.exec(
                update(EventLogRow).where(col(EventLogRow.seq).in_([r.seq for r in rows])).values(published_at=utcnow())
            )
            session.commit()
            return len(rows)

    def run(self, stop: threading.Event, idle_s: float = 0.05) -> None:
        log.info("relay started")
        while not stop.is_set():
            try:
                if self.run_once() == 0:
                    stop.wait(idle_s)
            except Exception:
                log.exception("relay: publishing failed; retrying in 1s")
                stop.wait(1.0)
        self.publisher.close()
        log.info("relay stopped")
