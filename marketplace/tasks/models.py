"""A task, its quotes (one row per kind: estimate, final, claimed...), its review, a tasker's claim for
extra work, and the idempotency keys of postings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class TaskStatus(StrEnum):
    posted = "posted"
    priced = "priced"
    rejected = "rejected"
    accepted = "accepted"
    in_progress = "in_progress"
    awaiting_approval = "awaiting_approval"  # the tasker claimed more than was booked; the client decides
    completed = "completed"
    cancelled = "cancelled"


HELD_STATUSES = frozenset({TaskStatus.accepted, TaskStatus.in_progress, TaskStatus.awaiting_approval})
FINAL_STATUSES = frozenset({TaskStatus.completed, TaskStatus.cancelled, TaskStatus.rejected})


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    client_id: int = Field(foreign_key="users.id", index=True)
    category: str = Field(foreign_key="categories.slug", max_length=64, index=True)
    region: str = Field(foreign_key="regions.slug", max_length=64, index=True)
    title: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Public: shown in taskers' feeds instead of the address (a neighbourhood, a postcode's first part).
    area: str = Field(default="", max_length=80)
    # Private: only the client, the tasker holding the task (from acceptance until a day after
    # completion) and operators read these (marketplace.tasks.parties.may_read_private).
    address: str = Field(default="", max_length=300)
    access_notes: str = Field(default="", max_length=1000)
    estimated_minutes: int
    starts_at: datetime = Field(sa_type=UTCDateTime)
    offered_rate: int | None = None
    status: str = Field(default=TaskStatus.posted, max_length=24, index=True)
    posted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    priced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rule_version: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=300)
    tasker_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, max_length=16)
    minutes_worked: int | None = None
    # The client may forbid the holder to pass the task to a peer (a hand-off).
    handoffs_allowed: bool = True
    # The latest hand-off: when, and from whom (the client may cancel free for a while after it).
    handed_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    handed_from_id: int | None = Field(default=None, foreign_key="users.id")
    # None until the client books; "authorized" is what opens the task to taskers.
    payment_status: str | None = Field(default=None, max_length=24, index=True)
    # A rebooking: a posting addressed to one tasker the client worked with. They alone see it
    # until `addressed_until`; if they decline or let it lapse, it opens to every tasker, or, with
    # `only_addressed`, it is cancelled free of charge.
    addressed_to_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    addressed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    only_addressed: bool = False

    # What pages ask of a task's status (they never compare status strings themselves).

    @property
    def is_posted(self) -> bool:
        return self.status == TaskStatus.posted

    @property
    def is_priced(self) -> bool:
        return self.status == TaskStatus.priced

    @property
    def is_rejected(self) -> bool:
        return self.status == TaskStatus.rejected

    @property
    def is_accepted(self) -> bool:
        return self.status == TaskStatus.accepted

    @property
    def is_in_progress(self) -> bool:
        return self.status == TaskStatus.in_progress

    @property
    def is_awaiting_approval(self) -> bool:
        return self.status == TaskStatus.awaiting_approval

    @property
    def is_completed(self) -> bool:
        return self.status == TaskStatus.completed

    @property
    def is_cancelled(self) -> bool:
        return self.status == TaskStatus.cancelled

    @property
    def is_held(self) -> bool:
        """A tasker holds it: accepted, in progress, or waiting for the client's answer to a claim."""
        return self.status in HELD_STATUSES

    @property
    def is_over(self) -> bool:
        """Nothing more happens to it: completed, cancelled, or never priced."""
        return self.status in FINAL_STATUSES


class TaskStep(SQLModel, table=True):
    """One step of a task's history, written with the event that announces it: the client's
    timeline keeps every accept, cancel and reopening with its real time, even when the task row
    has moved on (a tasker's cancel clears `tasker_id` and `accepted_at`)."""

    __tablename__ = "task_steps"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    task_id: int = Field(foreign_key="tasks.id", index=True)
    kind: str = Field(max_length=32)  # posted, priced, rejected, accepted, started, completed, cancelled, ...
    at: datetime = Field(sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, foreign_key="users.id")  # who acted, when it was a person
    by: str = Field(default="", max_length=16)  # client, tasker, operator, or "" for the platform
    note: str = Field(default="", max_length=500)  # a reason, in the words of whoever gave it


class TaskQuote(SQLModel, table=True):
    """A task's price. `kind` is 'posted' (at pricing, what the client booked), 'claimed' (the
    tasker's completion beyond the booked amount, until the client answers), 'final' (what is
    settled) or 'cancellation' (a late client cancellation's fee)."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("task_id", "kind"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    task_id: int = Field(foreign_key="tasks.id", index=True)
    kind: str = Field(default="posted", max_length=16)
    rate: int
    billable_minutes: int
    subtotal: int
    service_fee: int
    trust_fee: int
    commission: int
    total: int
    payout: int
    platform: int
    rule_version: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Review(SQLModel, table=True):
    """The client's review of the tasker. Hidden from everyone, the tasker included, until both
    sides have reviewed or the reveal window has passed (`revealed_at`)."""

    __tablename__ = "reviews"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    task_id: int = Field(foreign_key="tasks.id", unique=True)
    client_id: int = Field(foreign_key="users.id")
    tasker_id: int = Field(foreign_key="users.id", index=True)
    rating: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ClientReview(SQLModel, table=True):
    """The tasker's review of the client, under the same double-blind rule."""

    __tablename__ = "client_reviews"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    task_id: int = Field(foreign_key="tasks.id", unique=True)
    client_id: int = Field(foreign_key="users.id", index=True)
    tasker_id: int = Field(foreign_key="users.id")
    rating: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewPending(SQLModel, table=True):
    """The reveal projection (group "reviews"): when each side of a task submitted its review."""

    __tablename__ = "review_pending"
    task_id: int = Field(primary_key=True)
    client_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    tasker_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewReveal(SQLModel, table=True):
    """The reveal projection: when a task's reviews were revealed, and why (both in, the window
    lapsed, or a review from before double-blind reviews, shown at once)."""

    __tablename__ = "review_reveals"
    task_id: int = Field(primary_key=True)
    revealed_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(max_length=16)


class AdjustmentStatus(StrEnum):
    pending = "pending"  # waiting for the client
    approved = "approved"  # by the client: the difference is charged
    disputed = "disputed"  # by the client: the booked amount was captured; an operator decides
    expired = "expired"  # no answer in time: the booked amount stands
    upheld = "upheld"  # an operator decided for the tasker: the difference is charged
    rejected = "rejected"  # an operator decided for the client: the booked amount stands


class Adjustment(SQLModel, table=True):
    """A tasker's claim for work beyond the booked amount. Nothing beyond the booking is charged or
    paid unless the client approves it or an operator upholds it."""

    __tablename__ = "adjustments"
    task_id: int = Field(foreign_key="tasks.id", primary_key=True)
    tasker_id: int = Field(foreign_key="users.id", index=True)
    minutes_claimed: int
    reason: str = Field(max_length=500)
    booked_total: int  # the client's booked (posted) total, which the hold covers
    claimed_total: int  # the price for the minutes claimed
    status: str = Field(default=AdjustmentStatus.pending, max_length=16, index=True)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)  # unanswered by then: the booked amount stands
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    note: str = Field(default="", max_length=500)  # the client's dispute reason or the operator's ruling

    @property
    def extra(self) -> int:
        return self.claimed_total - self.booked_total

    @property
    def is_pending(self) -> bool:
        return self.status == AdjustmentStatus.pending

    @property
    def is_approved(self) -> bool:
        return self.status == AdjustmentStatus.approved

    @property
    def is_disputed(self) -> bool:
        return self.status == AdjustmentStatus.disputed

    @property
    def is_expired(self) -> bool:
        return self.status == AdjustmentStatus.expired

    @property
    def is_upheld(self) -> bool:
        return self.status == AdjustmentStatus.upheld

    @property
    def is_rejected(self) -> bool:
        return self.status == AdjustmentStatus.rejected


class IdempotencyKey(SQLModel, table=True):
    """A client's key for a posting (the Idempotency-Key header, or a web form's single-use token):
    the same key again returns the first task instead of making a second."""

    __tablename__ = "idempotency_keys"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    task_id: int | None = Field(default=None, foreign_key="tasks.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
