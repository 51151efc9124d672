"""Payments' tables: a task's payment, taskers' payout accounts, clients' Stripe customers, the ledger,
and the webhook events already seen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


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

    @property
    def is_pending(self) -> bool:
        return self.status == PaymentStatus.pending

    @property
    def is_authorized(self) -> bool:
        return self.status == PaymentStatus.authorized

    @property
    def is_failed(self) -> bool:
        return self.status == PaymentStatus.failed

    @property
    def is_released(self) -> bool:
        return self.status == PaymentStatus.released

    @property
    def is_charged(self) -> bool:
        """Captured, wholly or partly refunded since."""
        return self.status in (PaymentStatus.captured, PaymentStatus.refunded)


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
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
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


class PaymentCall(SQLModel, table=True):
    """A call to Stripe to make, written in the unit of work that decides it and made after
    commit by the `payment-calls` sender (marketplace/outgoing.py): its idempotency key, its
    arguments, what it is for (the step that records its answer) and that answer."""

    __tablename__ = "payment_calls"
    __table_args__ = (Index("ix_payment_calls_due", "status", "next_attempt_at"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    task_id: int = Field(foreign_key="tasks.id", index=True)
    operation: str = Field(max_length=24)  # capture, charge, release, authorize, transfer
    purpose: str = Field(max_length=32)  # the step that records the answer (marketplace/payments/calls.py)
    key: str = Field(max_length=255, unique=True)  # the idempotency key
    arguments: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    answer: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # JSON, once answered
    status: str = Field(default="pending", max_length=16)  # pending, sending, sent, failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_in_flight(self) -> bool:
        """Not answered yet: waiting for its turn, or being sent."""
        return self.status in ("pending", "sending")

    @property
    def is_failed(self) -> bool:
        return self.status == "failed"
