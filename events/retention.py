"""Retention: the backbone's tables stop growing forever.

- `processed_events` keep a window (default 7 days) larger than the longest redelivery: an event
  redelivered inside the window is still recognised and skipped. Nothing older can be redelivered,
  because the log rows behind it are gone too (below), and Kafka's group offsets have long moved on.
- On Kafka, outbox rows the relay published are pruned after a window (default 7 days): the
  broker holds the events from then on.
- On the embedded log, the outbox *is* the log. Each topic has its own retention (postings and
  reputation changes 7 days; the topics the projections are rebuilt from, and the dead-letter
  topics, are kept), and a row goes only once every group that reads its topic has
  committed past it, so retention never drops an event a consumer has yet to see.
  `pricing.floors` is compacted instead: only the newest row per key stays, and each row carries
  every version of its key's floor, so nothing the pricing stage needs is lost.

Deletes run in batches of `batch` rows, each its own short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, delete, exists, select, tuple_
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from events.sqltypes import utcnow
from events.tables import ConsumerOffset, EventLogRow, ProcessedEvent
from events.topics import CONSUMER_GROUPS, TOPICS

DAY = 24 * 3600
MESSAGES_RETENTION_S = 30 * DAY
# Seconds per topic (the embedded log's default, and the retention.ms new Kafka topics get); a
# topic not named here is kept. The projections are rebuilt (`floorboard replay`) from
# tasks.priced, tasks.lifecycle, payments.events, reviews.submitted, tips.activity and
# community.activity, so those stay, and so do the DLQs, until someone replays them.
DEFAULT_TOPIC_RETENTION_S: dict[str, int] = {
    "tasks.posted": 7 * DAY,
    "reputation.changes": 7 * DAY,
    # Read only by the notifications group, within seconds; 30 days covers any outage of it. Its
    # events carry ids, never words (docs/privacy.md), and its dead letters go as soon.
    "messages": MESSAGES_RETENTION_S,
    "messages.dlq": MESSAGES_RETENTION_S,
}
COMPACTED = tuple(name for name, topic in TOPICS.items() if topic.compacted)


@dataclass(frozen=True)
class RetentionPolicy:
    processed_s: int = 7 * DAY
    published_outbox_s: int = 7 * DAY
    topic_s: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_TOPIC_RETENTION_S))
    batch: int = 5_000

    def __post_init__(self) -> None:
        if self.processed_s < DAY:
            raise ValueError("processed events must be kept at least a day: a redelivery can come that late")


def policy_from(settings: Any) -> RetentionPolicy:
    """The policy the settings ask for (the retention worker's, and what the audit expects)."""
    return RetentionPolicy(
        processed_s=settings.processed_retention_s,
        published_outbox_s=settings.published_outbox_retention_s,
        topic_s={**DEFAULT_TOPIC_RETENTION_S, **dict(settings.log_retention)},
    )


def pruned_before(policy: RetentionPolicy, transport_name: str, topic: str, now: Any) -> Any:
    """Events of `topic` created before this time may have left the log by design (None: none
    ever leave, except by compaction)."""
    if transport_name == "kafka":
        return now - timedelta(seconds=policy.published_outbox_s)
    seconds = policy.topic_s.get(topic)
    return None if seconds is None or topic in COMPACTED else now - timedelta(seconds=seconds)


@dataclass
class Pruned:
    processed: int = 0
    published: int = 0
    log: int = 0
    compacted: int = 0

    @property
    def total(self) -> int:
        return self.processed + self.published + self.log + self.compacted


def _delete_in_batches(
    engine: Engine, table: Table, key_columns: list[Any], where: ColumnElement[bool], batch: int
) -> int:
    """DELETE ... WHERE key IN (SELECT key ... WHERE `where` LIMIT batch), until none is left."""
    removed = 0
    while True:
        with Session(engine) as session:
            keys = select(*key_columns).where(where).limit(batch)
            if len(key_columns) == 1:
                statement = delete(table).where(key_columns[0].in_(keys.scalar_subquery()))
            else:
                rows = [tuple(row) for row in session.execute(keys).all()]
                if not rows:
                    return removed
                statement = delete(table).where(tuple_(*key_columns).in_(rows))
            result = session.execute(statement)
            count = cast(CursorResult[Any], result).rowcount or 0
            session.commit()
        removed += count
        if count < batch:
            return removed


def prune_processed(engine: Engine, policy: RetentionPolicy) -> int:
    cutoff = utcnow() - timedelta(seconds=policy.processed_s)
    return _delete_in_batches(
        engine,
        ProcessedEvent.__table__,  # type: ignore[attr-defined]  # SQLModel sets it on table classes
        [col(ProcessedEvent.consumer), col(ProcessedEvent.event_id)],
        col(ProcessedEvent.processed_at) < cutoff,
        policy.batch,
    )


def prune_published(engine: Engine, policy: RetentionPolicy) -> int:
    """Kafka: outbox rows published more than the window ago."""
    cutoff = utcnow() - timedelta(seconds=policy.published_outbox_s)
    return _delete_in_batches(
        engine,
        EventLogRow.__table__,  # type: ignore[attr-defined]
        [col(EventLogRow.seq)],
        and_(col(EventLogRow.published_at).is_not(None), col(EventLogRow.published_at) < cutoff),
        policy.batch,
    )


def _readers(topic: str) -> list[str]:
    return [group for group, topics in CONSUMER_GROUPS.items() if topic in topics]


def prune_embedded_log(engine: Engine, policy: RetentionPolicy) -> int:
    """The embedded log: per topic, rows older than its retention that every group reading the
    topic has committed past."""
    removed = 0
    now = utcnow()
    for topic, seconds in policy.topic_s.items():
        if topic in COMPACTED:
            continue
        conditions = [col(EventLogRow.topic) == topic, col(EventLogRow.created_at) < now - timedelta(seconds=seconds)]
        for group in _readers(topic):
            committed = aliased(ConsumerOffset)
            conditions.append(
                exists().where(
                    col(committed.group) == group,
                    col(committed.topic) == topic,
                    col(committed.partition) == col(EventLogRow.partition),
                    col(committed.committed_seq) >= col(EventLogRow.seq),
                )
            )
        removed += _delete_in_batches(
            engine,
            EventLogRow.__table__,  # type: ignore[attr-defined]
            [col(EventLogRow.seq)],
            and_(*conditions),
            policy.batch,
        )
    return removed


def compact(engine: Engine, policy: RetentionPolicy) -> int:
    """Compacted topics keep only the newest row per key."""
    removed = 0
    for topic in COMPACTED:
        newer = aliased(EventLogRow)
        superseded = and_(
            col(EventLogRow.topic) == topic,
            exists().where(
                col(newer.topic) == topic, col(newer.key) == col(EventLogRow.key), col(newer.seq) > col(EventLogRow.seq)
            ),
        )
        removed += _delete_in_batches(
            engine,
            EventLogRow.__table__,  # type: ignore[attr-defined]
            [col(EventLogRow.seq)],
            superseded,
            policy.batch,
        )
    return removed


def prune(engine: Engine, transport_name: str, policy: RetentionPolicy) -> Pruned:
    pruned = Pruned(processed=prune_processed(engine, policy))
    if transport_name == "kafka":
        pruned.published = prune_published(engine, policy)
    else:
        pruned.log = prune_embedded_log(engine, policy)
        pruned.compacted = compact(engine, policy)
    return pruned
