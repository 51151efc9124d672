"""The marketplace's tables. Money columns are integer cents; times are aware UTC."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime, utcnow


class Role(StrEnum):
    client = "client"
    tasker = "tasker"
    operator = "operator"


class Level(StrEnum):
    general = "general"
    skilled = "skilled"
    licensed = "licensed"


class TaskStatus(StrEnum):
    posted = "posted"
    priced = "priced"
    rejected = "rejected"
    accepted = "accepted"
    in_progress = "in_progress"
    awaiting_approval = "awaiting_approval"  # the tasker claimed more than was booked; the client decides
    completed = "completed"
    cancelled = "cancelled"


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    display_name: str = Field(default="", max_length=80)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """Bearer tokens are stored as their SHA-256; the token itself is shown once."""

    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Region(SQLModel, table=True):
    __tablename__ = "regions"
    slug: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=120)
    currency: str = Field(default="USD", max_length=3)
    legal_min_per_hour: int | None = None
    legal_min_per_minute: int | None = None
    legal_min_per_task: int | None = None
    legal_source: str = Field(default="", max_length=200)


class Category(SQLModel, table=True):
    __tablename__ = "categories"
    slug: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=120)
    level: str = Field(default=Level.general, max_length=16)
    description: str = Field(default="", max_length=500)


class FloorRuleVersion(SQLModel, table=True):
    """A version of a (category, region) floor. Versions are never edited, only added."""

    __tablename__ = "floor_rules"
    __table_args__ = (UniqueConstraint("category", "region", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(foreign_key="categories.slug", max_length=64, index=True)
    region: str = Field(foreign_key="regions.slug", max_length=64, index=True)
    version: int
    hourly_floor: int
    per_task_floor: int = 0
    min_billable_minutes: int = 60
    billing_increment_minutes: int = 15
    service_fee_bps: int = 0
    trust_fee_bps: int = 0
    tasker_commission_bps: int = 0
    effective_from: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    author_id: int | None = Field(default=None, foreign_key="users.id")
    author: str = Field(default="", max_length=254)
    reason: str = Field(default="", max_length=500)


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="users.id", index=True)
    category: str = Field(foreign_key="categories.slug", max_length=64, index=True)
    region: str = Field(foreign_key="regions.slug", max_length=64, index=True)
    title: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
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
    # None until the client books; "authorized" is what opens the task to taskers.
    payment_status: str | None = Field(default=None, max_length=24, index=True)


class Quote(SQLModel, table=True):
    """A task's price. `kind` is 'posted' (at pricing, what the client booked), 'claimed' (the
    tasker's completion beyond the booked amount, until the client answers), 'final' (what is
    settled) or 'cancellation' (a late client cancellation's fee)."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("task_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
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


class TaskerSkill(SQLModel, table=True):
    __tablename__ = "tasker_skills"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    category: str = Field(foreign_key="categories.slug", primary_key=True, max_length=64)
    rate: int  # the tasker's own rate, cents an hour, never below the floor
    raised_from: int | None = None  # set when a floor rise lifted the rate, so the tasker is told
    raised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TaskerRegion(SQLModel, table=True):
    __tablename__ = "tasker_regions"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    region: str = Field(foreign_key="regions.slug", primary_key=True, max_length=64)


class Review(SQLModel, table=True):
    __tablename__ = "reviews"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", unique=True)
    client_id: int = Field(foreign_key="users.id")
    tasker_id: int = Field(foreign_key="users.id", index=True)
    rating: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Tip(SQLModel, table=True):
    __tablename__ = "tips"
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(foreign_key="categories.slug", max_length=64, index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=120)
    body_markdown: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))  # sanitized when written
    hidden: bool = False
    hidden_reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TipVote(SQLModel, table=True):
    __tablename__ = "tip_votes"
    __table_args__ = (UniqueConstraint("tip_id", "voter_id"),)
    id: int | None = Field(default=None, primary_key=True)
    tip_id: int = Field(foreign_key="tips.id", index=True)
    voter_id: int = Field(foreign_key="users.id")
    helpful: bool
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TaskerLicense(SQLModel, table=True):
    """An operator's verification that unlocks one licensed category for one tasker."""

    __tablename__ = "tasker_licenses"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    category: str = Field(foreign_key="categories.slug", primary_key=True, max_length=64)
    verified_by: int = Field(foreign_key="users.id")
    note: str = Field(default="", max_length=300)
    verified_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BoardEntry(SQLModel, table=True):
    """The tips-board projection (group "tips"), rebuilt from tips.activity alone."""

    __tablename__ = "board_entries"
    tip_id: int = Field(primary_key=True)
    category: str = Field(max_length=64, index=True)
    author_id: int
    title: str = Field(max_length=120)
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    helpful: int = 0
    unhelpful: int = 0
    hidden: bool = False
    posted_at: datetime = Field(sa_type=UTCDateTime)


class KarmaTip(SQLModel, table=True):
    """The reputation projection's own vote counts per tip, from which tip karma is summed."""

    __tablename__ = "karma_tips"
    tip_id: int = Field(primary_key=True)
    tasker_id: int = Field(index=True)
    category: str = Field(max_length=64)
    helpful: int = 0
    unhelpful: int = 0
    hidden: bool = False


class Reputation(SQLModel, table=True):
    """A projection rebuilt from events: `floorboard replay reputation` must reproduce it."""

    __tablename__ = "reputation"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    category: str = Field(primary_key=True, max_length=64)
    rating_sum: int = 0
    rating_count: int = 0
    accepted: int = 0
    completed: int = 0
    tasker_cancelled: int = 0
    tip_karma: float = 0.0
    score: int = 0
    tier: str = Field(default="newcomer", max_length=16)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # the latest event's time


class PaymentStatus(StrEnum):
    pending = "pending"  # created; the client still has to confirm (e.g. 3-D Secure)
    authorized = "authorized"  # the hold is in place: the task is open to taskers
    failed = "failed"  # declined: the client can try another card
    captured = "captured"
    released = "released"  # the hold was cancelled, nothing charged
    refunded = "refunded"  # wholly or partly


class Payment(SQLModel, table=True):
    """A task's card payment: a PaymentIntent with manual capture (the hold), then its capture."""

    __tablename__ = "payments"
    task_id: int = Field(foreign_key="tasks.id", primary_key=True)
    client_id: int = Field(foreign_key="users.id", index=True)
    intent_id: str = Field(max_length=255, index=True)
    payment_method: str | None = Field(default=None, max_length=255)
    customer_id: str | None = Field(default=None, max_length=255)
    status: str = Field(max_length=24)
    currency: str = Field(default="usd", max_length=3)
    amount_authorized: int = 0
    amount_captured: int = 0
    amount_refunded: int = 0
    attempt: int = 1  # bumped on each new authorization (retry after a decline, re-authorization)
    authorized_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failure_message: str | None = Field(default=None, max_length=500)
    transfer_id: str | None = Field(default=None, max_length=255)  # the latest transfer
    amount_transferred: int = 0
    # An approved adjustment beyond the hold is charged as a second PaymentIntent on the saved card.
    extra_intent_id: str | None = Field(default=None, max_length=255)
    amount_extra: int = 0  # captured by that second intent (included in amount_captured)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PayoutAccount(SQLModel, table=True):
    """A tasker's Stripe connected account. Only its id is stored."""

    __tablename__ = "payout_accounts"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    account_id: str = Field(max_length=255, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StripeCustomer(SQLModel, table=True):
    __tablename__ = "stripe_customers"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    customer_id: str = Field(max_length=255, unique=True)


class LedgerEntry(SQLModel, table=True):
    """Double entry: the entries of one posting (and so of each task) always sum to zero.
    Positive amounts are what the account is owed or holds; the client's account goes negative
    by what they paid."""

    __tablename__ = "ledger_entries"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", index=True)
    posting: str = Field(max_length=64)  # e.g. "capture", "transfer", "refund:1"
    account: str = Field(max_length=32)
    amount: int
    reference: str = Field(default="", max_length=255)  # the Stripe object behind it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StripeEventSeen(SQLModel, table=True):
    """Webhook events already processed, so a redelivered one has no second effect."""

    __tablename__ = "stripe_events"
    event_id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random id; only its hash is kept, and signing out
    deletes the row, so a copied cookie stops working at once."""

    __tablename__ = "web_sessions"
    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IdempotencyKey(SQLModel, table=True):
    """A client's key for a posting (the Idempotency-Key header, or a web form's single-use token):
    the same key again returns the first task instead of making a second."""

    __tablename__ = "idempotency_keys"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    task_id: int | None = Field(default=None, foreign_key="tasks.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
