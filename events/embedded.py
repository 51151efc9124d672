"""The embedded transport: the outbox table is the log, and groups keep offsets in the database.

Members of a group heartbeat into `consumer_members`; the live members, sorted, split the
partitions round-robin, so a second member shares the work and a member that leaves (or stops
heartbeating) hands its partitions over. Offsets only move forward.

A consumer that has read everything does not read again until a commit appends to one of its
topics and rings its doorbell (events/wakeup.py: in this process at once, from other processes
through NOTIFY on PostgreSQL), or until `idle_poll_s` passes: the slow poll that also heartbeats
(so it is at most a third of the session timeout) and that alone sees other processes on SQLite.
"""

from __future__ import annotations

import time
import uuid
from contextlib import nullcontext
from datetime import timedelta

from sqlalchemy import Select, bindparam, delete, func, insert, or_, update
from sqlalchemy import select as sa_select  # sqlmodel's select types at most four columns
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from events.sqltypes import utcnow
from events.tables import ConsumerMember, ConsumerOffset, EventLogRow
from events.transport import Record
from events.wakeup import log_channel, ring_on_commit, waiter

IDLE_POLL_S = 5.0  # the slow poll, when nothing rings
# Core tables: a poll builds no ORM objects (it runs for every batch, and at idle for every group).
_LOG = EventLogRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
_MEMBERS = ConsumerMember.__table__  # type: ignore[attr-defined]
_OFFSETS = ConsumerOffset.__table__  # type: ignore[attr-defined]


class EmbeddedConsumer:
    def __init__(
        self,
        engine: Engine,
        group: str,
        topics: list[str],
        partitions: int,
        session_timeout_s: float = 10.0,
        idle_poll_s: float = IDLE_POLL_S,
    ):
        self.engine = engine
        self.group = group
        self.topics = list(topics)
        self.partitions = partitions
        self.session_timeout = timedelta(seconds=session_timeout_s)
        self.idle_poll_s = min(idle_poll_s, session_timeout_s / 3)  # the heartbeat rides on it
        self.member_id = uuid.uuid4().hex
        self._assigned: tuple[int, ...] = ()
        self._query: Select[tuple[str, int, int, str, bytes]] | None = None
        self._positions: dict[tuple[str, int], int] = {}  # read ahead of the committed offset
        self._paused = False
        # Made before the first read, so that a commit between a read and the wait is not missed.
        self._bell = waiter(*(log_channel(t) for t in self.topics), engine=engine)
        self._next_read = 0.0  # time.monotonic(): 0 reads at once; after a read that found nothing, the slow poll

    def _heartbeat_and_assign(self, connection: Connection) -> tuple[int, ...]:
        now = utcnow()
        mine = (_MEMBERS.c.group == self.group) & (_MEMBERS.c.member_id == self.member_id)
        if connection.execute(update(_MEMBERS).where(mine).values(heartbeat_at=now)).rowcount == 0:
            connection.execute(insert(_MEMBERS).values(group=self.group, member_id=self.member_id, heartbeat_at=now))
        connection.execute(
            delete(_MEMBERS).where(_MEMBERS.c.group == self.group, _MEMBERS.c.heartbeat_at < now - self.session_timeout)
        )
        live = sa_select(_MEMBERS.c.member_id).where(_MEMBERS.c.group == self.group)
        members: list[str] = sorted(connection.execute(live).scalars())
        index = members.index(self.member_id)
        return tuple(p for p in range(self.partitions) if p % len(members) == index)

    def _committed(self, connection: Connection) -> dict[tuple[str, int], int]:
        rows = connection.execute(
            sa_select(_OFFSETS.c.topic, _OFFSETS.c.partition, _OFFSETS.c.committed_seq).where(
                _OFFSETS.c.group == self.group, _OFFSETS.c.topic.in_(self.topics)
            )
        )
        return {(row.topic, row.partition): row.committed_seq for row in rows}

    def _log_query(self, assigned: tuple[int, ...]) -> Select[tuple[str, int, int, str, bytes]]:
        """The read for these partitions, built once per assignment: each read binds only the
        positions, so the statement is neither built nor compiled again."""
        after = [
            (_LOG.c.topic == topic) & (_LOG.c.partition == p) & (_LOG.c.seq > bindparam(f"after_{i}"))
            for i, (topic, p) in enumerate(self._slots(assigned))
        ]
        return (
            sa_select(_LOG.c.topic, _LOG.c.partition, _LOG.c.seq, _LOG.c.key, _LOG.c.value)
            .where(or_(*after))
            .order_by(_LOG.c.seq)
            .limit(bindparam("max_records"))
        )

    def _slots(self, assigned: tuple[int, ...]) -> list[tuple[str, int]]:
        return [(topic, p) for topic in self.topics for p in assigned]

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self._next_read = 0.0

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        """Records after this member's position, or [] once `timeout_s` passes with nothing new.
        Idle, it waits on the doorbell, touching the database only when rung or at the slow poll."""
        wait_s = self._next_read - time.monotonic()
        if wait_s > 0 and not self._bell.wait(min(timeout_s, wait_s)) and time.monotonic() < self._next_read:
            return []
        records = self._read(max_records)
        self._next_read = 0.0 if records else time.monotonic() + self.idle_poll_s
        return records

    def _read(self, max_records: int) -> list[Record]:
        # One transaction (on SQLite, one write lock) for the heartbeat and the read.
        with self.engine.begin() as connection:
            assigned = self._heartbeat_and_assign(connection)
            if self._paused:
                return []
            if assigned != self._assigned or self._query is None:
                # A rebalance: start again from what the group has committed.
                self._assigned = assigned
                self._positions = {}
                self._query = self._log_query(assigned)
            if not assigned:
                return []
            committed = self._committed(connection)
            positions = {
                f"after_{i}": self._positions.get(slot, committed.get(slot, 0))
                for i, slot in enumerate(self._slots(assigned))
            }
            rows = connection.execute(self._query, {**positions, "max_records": max_records})
            records = [Record._make(row) for row in rows]
        for record in records:
            self._positions[(record.topic, record.partition)] = record.offset
        return records

    def commit(self, records: list[Record]) -> None:
        latest: dict[tuple[str, int], int] = {}
        for r in records:
            latest[(r.topic, r.partition)] = max(r.offset, latest.get((r.topic, r.partition), 0))
        with Session(self.engine) as session:
            for (topic, partition), seq in latest.items():
                row = session.get(ConsumerOffset, (self.group, topic, partition))
                if row is None:
                    session.add(ConsumerOffset(group=self.group, topic=topic, partition=partition, committed_seq=seq))
                else:
                    session.exec(
                        update(ConsumerOffset)
                        .where(
                            col(ConsumerOffset.group) == self.group,
                            col(ConsumerOffset.topic) == topic,
                            col(ConsumerOffset.partition) == partition,
                            col(ConsumerOffset.committed_seq) < seq,
                        )
                        .values(committed_seq=seq, updated_at=utcnow())
                    )
            session.commit()

    def close(self) -> None:
        self._bell.close()
        with Session(self.engine) as session:
            session.exec(
                delete(ConsumerMember).where(
                    col(ConsumerMember.group) == self.group, col(ConsumerMember.member_id) == self.member_id
                )
            )
            # The members left take over this one's partitions when they next read: wake them now.
            ring_on_commit(session, *self._bell.channels)
            session.commit()


class EmbeddedTopicReader:
    """Reads a whole topic from the beginning, then whatever arrived since the last read."""

    def __init__(self, engine: Engine, topic: str, within: Session | None = None):
        self.engine = engine
        self.topic = topic
        self.within = within
        self._last_seq = 0

    def read_new(self, max_records: int | None = None) -> list[Record]:
        query = (
            sa_select(
                *(
                    col(c)
                    for c in (
                        EventLogRow.topic,
                        EventLogRow.partition,
                        EventLogRow.seq,
                        EventLogRow.key,
                        EventLogRow.value,
                    )
                )
            )
            .where(col(EventLogRow.topic) == self.topic, col(EventLogRow.seq) > self._last_seq)
            .order_by(col(EventLogRow.seq))
        )
        if max_records is not None:
            query = query.limit(max_records)
        with nullcontext(self.within) if self.within is not None else Session(self.engine) as session:
            records = [Record._make(row) for row in session.execute(query)]
        if records:
            self._last_seq = records[-1].offset
        return records

    def close(self) -> None:
        pass


class EmbeddedTransport:
    name = "embedded"

    def __init__(
        self, engine: Engine, partitions: int = 6, session_timeout_s: float = 10.0, idle_poll_s: float = IDLE_POLL_S
    ):
        self.engine = engine
        self.partitions = partitions
        self.session_timeout_s = session_timeout_s
        self.idle_poll_s = idle_poll_s

    def ensure_topics(self) -> None:
        """Topics need no creating: they are values in the log's topic column."""

    def consumer(self, group: str, topics: list[str]) -> EmbeddedConsumer:
        return EmbeddedConsumer(self.engine, group, topics, self.partitions, self.session_timeout_s, self.idle_poll_s)

    def topic_reader(self, topic: str, within: Session | None = None) -> "EmbeddedTopicReader":
        return EmbeddedTopicReader(self.engine, topic, within)

    def read_topic(self, topic: str) -> list[Record]:
        return self.topic_reader(topic).read_new()

    def count(self, topic: str) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).where(col(EventLogRow.topic) == topic)).one()

    def lag(self, group: str, topics: list[str]) -> dict[str, int]:
        committed = (
            select(ConsumerOffset.committed_seq)
            .where(
                col(ConsumerOffset.group) == group,
                col(ConsumerOffset.topic) == EventLogRow.topic,
                col(ConsumerOffset.partition) == EventLogRow.partition,
            )
            .correlate(EventLogRow)
            .scalar_subquery()
        )
        with Session(self.engine) as session:
            rows = session.exec(
                select(EventLogRow.topic, func.count())
                .where(
                    col(EventLogRow.topic).in_(topics),
                    col(EventLogRow.seq) > func.coalesce(committed, 0),
                )
                .group_by(col(EventLogRow.topic))
            ).all()
        return {t: 0 for t in topics} | {topic: count for topic, count in rows}

    def ready(self) -> bool:
        with Session(self.engine) as session:
            session.exec(select(func.max(col(EventLogRow.seq)))).one()
        return True

    def close(self) -> None:
        pass
