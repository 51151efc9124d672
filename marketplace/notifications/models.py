"""A delivery row per (event, recipient, channel): written by the notifications group in the
transaction that marks the event processed, sent by the mailer after commit, marked sent once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for the sender (or for its next try)
    digest = "digest"  # kept for the recipient's daily digest
    digested = "digested"  # went out in a digest (the digest's own row is what was sent)
    sending = "sending"  # claimed by a sender until `lease_until`; after that, due again
    sent = "sent"
    failed = "failed"  # refused for good (a 5xx from the server, or no address)


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "channel"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    event_id: str = Field(max_length=64)
    recipient_id: int = Field(foreign_key="users.id", index=True)
    channel: str = Field(default="email", max_length=16)
    kind: str = Field(max_length=48)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=200)
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    html_body: str = Field(sa_column=Column(Text, nullable=False))
    # What the letter says (JSON: the reader's name, its lines and link), rendered into the two
    # bodies when the mailer sends it (letters.render_row); empty when the bodies are written out
    # (digests, account mail, rows from before).
    letter: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default=DeliveryStatus.pending, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    unsubscribe_url: str = Field(default="", max_length=500)  # empty for account and money mail
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Mode(StrEnum):
    instant = "instant"
    digest = "digest"  # once a day, in one email
    off = "off"


class NotificationPref(SQLModel, table=True):
    """How a user hears of one kind of event by email; no row: instant."""

    __tablename__ = "notification_prefs"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=48)
    mode: str = Field(default=Mode.instant, max_length=16)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
