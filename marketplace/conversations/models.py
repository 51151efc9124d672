"""A task's messages, how far each party has read, and operators' audited reads of a thread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class Message(SQLModel, table=True):
    """One message on a task's thread, stored as the recipient reads it (contact details masked
    before the task starts, when masking is on: the raw text is never kept)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_task_id_id", "task_id", "id"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    task_id: int = Field(foreign_key="tasks.id")
    sender_id: int = Field(foreign_key="users.id")
    recipient_id: int = Field(foreign_key="users.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    masked: bool = False  # a phone number or an email address was hidden
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThreadRead(SQLModel, table=True):
    """The newest message of a task's thread that a user has read."""

    __tablename__ = "thread_reads"
    task_id: int = Field(foreign_key="tasks.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    last_read_id: int = 0
    read_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OperatorRead(SQLModel, table=True):
    """An operator read a thread (allowed only on a task with a claim or a dispute): who, when, why."""

    __tablename__ = "operator_thread_reads"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    task_id: int = Field(foreign_key="tasks.id", index=True)
    operator_id: int = Field(foreign_key="users.id")
    reason: str = Field(max_length=300)
    read_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
