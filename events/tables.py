"""The backbone's own tables.

`event_log` is the transactional outbox. On Kafka the relay publishes each row and stamps
`published_at`; on the embedded transport the table itself is the log and consumers read it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime, utcnow


class EventLogRow(SQLModel, table=True):
    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_topic_partition_seq", "topic", "partition", "seq"),
        Index("ix_event_log_unpublished", "published_at", "seq"),
        Index("ix_event_log_topic_key", "topic", "key"),
    )

    # SQLite only autoincrements an INTEGER primary key, hence the variant.
    seq: int = Field(  # assigned on insert; code only reads stored rows
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    event_id: str = Field(max_length=64, index=True)
    topic: str = Field(max_length=120)
    partition: int
    key: str = Field(max_length=200)
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProcessedEvent(SQLModel, table=True):
    """Written in the same transaction as a consumer's effects: an event has one effect per group."""

    __tablename__ = "processed_events"
    __table_args__ = (Index("ix_processed_events_processed_at", "processed_at"),)
    consumer: str = Field(primary_key=True, max_length=120)
    event_id: str = Field(primary_key=True, max_length=200)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConsumerOffset(SQLModel, table=True):
    """Embedded transport only: the next log sequence a group reads per topic partition."""

    __tablename__ = "consumer_offsets"
    group: str = Field(primary_key=True, max_length=120)
    topic: str = Field(primary_key=True, max_length=120)
    partition: int = Field(primary_key=True)
    committed_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConsumerMember(SQLModel, table=True):
    """Embedded transport only: live members of a group, for sharing partitions between them."""

    __tablename__ = "consumer_members"
    group: str = Field(primary_key=True, max_length=120)
    member_id: str = Field(primary_key=True, max_length=120)
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
