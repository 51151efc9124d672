"""The embedded transport: the outbox table is the log, and groups keep offsets in the database.

Members of a group heartbeat into `consumer_members`; the live members, sorted, split the
partitions round-robin, so a second member shares the work and a member that leaves (or stops
heartbeating) hands its partitions over. Offsets only move forward.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy import select as sa_select  # sqlmodel's select types at most four columns
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from events.sqltypes import utcnow
from events.tables import ConsumerMember, ConsumerOffset, EventLogRow
from events.transport import Record


class EmbeddedConsumer:
    def __init__(self, engine: Engine, group: str, topics: list[str], partitions: int, session_timeout_s: float = 10.0):
        self.engine = engine
        self.group = group
        self.topics = list(topics)
        self.partitions = partitions
        self.session_timeout = timedelta(seconds=session_timeout_s)
        self.member_id = uuid.uuid4().hex
        self._assigned: tuple[int, ...] = ()
        self._positions: dict[tuple[str, int], int] = {}  # read ahead of the committed offset
        self._paused = False

    def _heartbeat_and_assign(self, session: Session) -> tuple[int, ...]:
        now = utcnow()
        member = session.get(ConsumerMember, (self.group, self.member_id))
        if member is None:
            session.add(ConsumerMember(group=self.group, member_id=self.member_id, heartbeat_at=now))
        else:
            member.heartbeat_at = now
        session.exec(
            delete(ConsumerMember).where(
                col(ConsumerMember.group) == self.group, col(ConsumerMember.heartbeat_at) < now - self.session_timeout
            )
        )
        session.flush()
        members = sorted(session.exec(select(ConsumerMember.member_id).where(col(ConsumerMember.group) == self.group)))
        index = members.index(self.member_id)
        return tuple(p for p in range(self.partitions) if p % len(members) == index)

    def _committed(self, session: Session) -> dict[tuple[str, int], int]:
        rows = session.exec(
            select(ConsumerOffset).where(
                col(ConsumerOffset.group) == self.group, col(ConsumerOffset.topic).in_(self.topics)
            )
        )
        return {(r.topic, r.partition): r.committed_seq for r in rows}

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        with Session(self.engine) as session:
            assigned = self._heartbeat_and_assign(session)
            session.commit()
            if self._paused:
                return []
            if assigned != self._assigned:
                # A rebalance: start again from what the group has committed.
                self._assigned = assigned
                self._positions = {}
            committed = self._committed(session)
            if not assigned:
                return []
            conditions = [
                and_(
                    col(EventLogRow.topic) == topic,
                    col(EventLogRow.partition) == p,
                    col(EventLogRow.seq) > self._positions.get((topic, p), committed.get((topic, p), 0)),
                )
                for topic in self.topics
                for p in assigned
            ]
            rows = session.exec(
                select(EventLogRow).where(or_(*conditions)).order_by(col(EventLogRow.seq)).limit(max_records)
            ).all()
        for row in rows:
            self._positions[(row.topic, row.partition)] = row.seq
        return [Record(r.topic, r.partition, r.seq, r.key, r.value) for r in rows]

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
        with Session(self.engine) as session:
            session.exec(
                delete(ConsumerMember).where(
                    col(ConsumerMember.group) == self.group, col(ConsumerMember.member_id) == self.member_id
                )
            )
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

    def __init__(self, engine: Engine, partitions: int = 6, session_timeout_s: float = 10.0):
        self.engine = engine
        self.partitions = partitions
        self.session_timeout_s = session_timeout_s

    def ensure_topics(self) -> None:
        """Topics need no creating: they are values in the log's topic column."""

    def consumer(self, group: str, topics: list[str]) -> EmbeddedConsumer:
        return EmbeddedConsumer(self.engine, group, topics, self.partitions, self.session_timeout_s)

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
