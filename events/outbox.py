"""The transactional outbox: an event is added in the same transaction as the state it reports."""

from __future__ import annotations

from sqlalchemy import insert, text
from sqlmodel import Session

from events.contracts import EVENT_TYPES, encode
from events.envelope import CloudEvent
from events.sqltypes import utcnow
from events.tables import EventLogRow
from events.topics import is_known, partition_for
from events.wakeup import log_channel, ring_on_commit

_INSERT = insert(EventLogRow.__table__)  # type: ignore[attr-defined]  # SQLModel sets it on table classes
# Any constant works; it only has to be the same in every process that appends.
_LOG_APPEND_LOCK = 0x466C6F6F72


class Outbox:
    def __init__(self, partitions: int, serialize_appends: bool = False):
        self.partitions = partitions
        # On PostgreSQL the embedded log's readers follow `seq`, so a row must never become
        # visible after a higher seq: appends take a transaction-scoped lock to commit in order.
        # The same flag says the readers sleep until an append's commit wakes them
        # (events/wakeup.py); a Kafka relay polls, and a NOTIFY per event would only cost it.
        self.serialize_appends = serialize_appends

    def add(self, session: Session, event: CloudEvent, key: str, topic: str | None = None) -> None:
        self.add_raw(session, topic or EVENT_TYPES[event.type].topic, key, event.id, encode(event))

    def add_raw(self, session: Session, topic: str, key: str, event_id: str, value: bytes) -> None:
        """Append bytes as they are (DLQ replay puts an original event back unchanged). The row is
        inserted now, in the session's transaction, by one Core statement: no ORM object to track
        and flush (a posting's request pays for one flush less), and events keep their order."""
        if not is_known(topic):
            raise ValueError(f"unknown topic {topic!r}")
        connection = session.connection()
        if self.serialize_appends:
            ring_on_commit(session, log_channel(topic))
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOG_APPEND_LOCK})
        connection.execute(
            _INSERT,
            {
                "event_id": event_id,
                "topic": topic,
                "key": key,
                "partition": partition_for(key, self.partitions),
                "value": value,
                "created_at": utcnow(),
            },
        )
