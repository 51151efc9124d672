"""The taskers' network: connections, blocks, hand-off offers and endorsements (written by the
use cases). The mentoring projection the endorsements feed is the taskers' (taskers/models.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class Connection(SQLModel, table=True):
    """One row per pair of taskers, whoever asked: `low_id` < `high_id`, so a pair is asked once.
    Pending until the other side accepts; a declined or removed connection is deleted."""

    __tablename__ = "connections"
    low_id: int = Field(foreign_key="users.id", primary_key=True)
    high_id: int = Field(foreign_key="users.id", primary_key=True, index=True)
    requested_by: int = Field(foreign_key="users.id")
    status: str = Field(default="pending", max_length=16)  # pending or accepted
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_accepted(self) -> bool:
        return self.status == "accepted"


class Block(SQLModel, table=True):
    """`blocker_id` wants nothing more from `blocked_id`: no request, offer or endorsement, either way."""

    __tablename__ = "blocks"
    blocker_id: int = Field(foreign_key="users.id", primary_key=True)
    blocked_id: int = Field(foreign_key="users.id", primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OfferStatus(StrEnum):
    open = "open"
    accepted = "accepted"  # this peer won the task
    declined = "declined"  # by the peer
    withdrawn = "withdrawn"  # by the first tasker, or because another peer won, or the task moved on
    lapsed = "lapsed"  # nobody answered in time: the task stays with the first tasker


class HandoffOffer(SQLModel, table=True):
    """A tasker holding an accepted task offers it to one peer (several peers: one row each)."""

    __tablename__ = "handoff_offers"
    __table_args__ = (Index("ix_handoff_offers_open", "status", "expires_at"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    task_id: int = Field(foreign_key="tasks.id", index=True)
    from_tasker_id: int = Field(foreign_key="users.id", index=True)
    to_tasker_id: int = Field(foreign_key="users.id", index=True)
    note: str = Field(default="", max_length=500)
    status: str = Field(default=OfferStatus.open, max_length=16)
    offered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str = Field(default="", max_length=300)  # why it closed, for the people reading it

    @property
    def is_open(self) -> bool:
        return self.status == OfferStatus.open

    @property
    def is_lapsed(self) -> bool:
        return self.status == OfferStatus.lapsed


class Endorsement(SQLModel, table=True):
    """A tasker vouches for a connection in a category they have worked in. Withdrawn by the
    endorser or revoked by an operator (with the reason the audit keeps); given again, the same
    row is active again."""

    __tablename__ = "endorsements"
    __table_args__ = (UniqueConstraint("endorser_id", "endorsee_id", "category"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    endorser_id: int = Field(foreign_key="users.id", index=True)
    endorsee_id: int = Field(foreign_key="users.id", index=True)
    category: str = Field(foreign_key="categories.slug", max_length=64)
    text: str = Field(max_length=500)
    given_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    active: bool = True
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: int | None = Field(default=None, foreign_key="users.id")
    revoke_reason: str = Field(default="", max_length=300)
