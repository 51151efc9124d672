"""The typed events: one frozen dataclass per event type (events/typed.py), which its producer builds
(`TaskCancelled(**head, cancelled_by="client", fee=None, reopened=False).event(subject=task.id)`)
and its handlers read (`TaskCancelled.of(event)`, or `view_of(event)` for whichever type it is).

Each class names exactly the fields of its type's marshmallow schema in `events.contracts`, with the
same required and optional ones, and each registered type has its class (tests/unit/test_payloads.py
holds all three equal). `of()` reads an event those schemas already validated, so a view never meets
a missing or mistyped field. Nested quotes stay plain dicts of integer cents (`Quote(**q)` reads them).

The task's and the money's events are here; the community's (tips, questions, endorsements,
connections, reputation) are in events/community_payloads.py. Both are registered below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, TypeVar

from events.community_payloads import (
    AnswerAccepted,
    AnswerEvent,
    AnswerHead,
    AnswerHidden,
    AnswerPosted,
    AnswerVoted,
    ConnectionAccepted,
    ConnectionBlocked,
    ConnectionEvent,
    ConnectionRemoved,
    ConnectionRequested,
    EndorsementEvent,
    EndorsementGiven,
    EndorsementHead,
    EndorsementRevoked,
    EndorsementWithdrawn,
    QuestionAsked,
    QuestionEvent,
    QuestionHead,
    QuestionHidden,
    ReputationChanged,
    TipEvent,
    TipHead,
    TipHidden,
    TipPosted,
    TipVoted,
)
from events.envelope import CloudEvent
from events.typed import TypedEvent

# The community's classes are read from here too: every event class has this one address.
__all__ = [
    "AnswerAccepted",
    "AnswerEvent",
    "AnswerHead",
    "AnswerHidden",
    "AnswerPosted",
    "AnswerVoted",
    "ConnectionAccepted",
    "ConnectionBlocked",
    "ConnectionEvent",
    "ConnectionRemoved",
    "ConnectionRequested",
    "EndorsementEvent",
    "EndorsementGiven",
    "EndorsementHead",
    "EndorsementRevoked",
    "EndorsementWithdrawn",
    "QuestionAsked",
    "QuestionEvent",
    "QuestionHead",
    "QuestionHidden",
    "ReputationChanged",
    "TipEvent",
    "TipHead",
    "TipHidden",
    "TipPosted",
    "TipVoted",
    "TypedEvent",
]


@dataclass(frozen=True, kw_only=True)
class TaskPosted(TypedEvent):
    TYPE = "task.posted"
    task_id: int
    client_id: int
    category: str
    region: str
    title: str
    estimated_minutes: int
    starts_at: datetime
    offered_rate: int | None
    posted_at: datetime


@dataclass(frozen=True, kw_only=True)
class TaskPriced(TypedEvent):
    TYPE = "task.priced"
    task_id: int
    status: str  # priced or rejected
    category: str
    region: str
    quote: dict[str, int] | None  # None when rejected
    reason: str | None  # why it was rejected
    priced_at: datetime


@dataclass(frozen=True, kw_only=True)
class FloorsChanged(TypedEvent):
    TYPE = "floors.changed"
    category: str
    region: str
    versions: list[dict[str, Any]]  # every version of the key, as FloorRulePayload loads it


class TaskHead(TypedDict):
    """What every lifecycle event says first (TaskLifecycle's fields): `TaskStarted(**head)`."""

    task_id: int
    client_id: int
    tasker_id: int | None
    category: str
    region: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class TaskLifecycle(TypedEvent):
    """The view of any event on tasks.lifecycle: whose task, held by whom, where, and when."""

    task_id: int
    client_id: int
    tasker_id: int | None
    category: str
    region: str
    at: datetime


class TaskAccepted(TaskLifecycle):
    TYPE = "task.accepted"


class TaskStarted(TaskLifecycle):
    TYPE = "task.started"


@dataclass(frozen=True, kw_only=True)
class RebookingClosed(TaskLifecycle):
    TYPE = "task.rebooking_closed"
    addressed_to_id: int
    reason: str  # declined or lapsed
    reopened: bool  # False: "only this tasker", so it was cancelled free


@dataclass(frozen=True, kw_only=True)
class TaskCompleted(TaskLifecycle):
    TYPE = "task.completed"
    minutes_worked: int
    quote: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class TaskCancelled(TaskLifecycle):
    TYPE = "task.cancelled"
    cancelled_by: str  # client, tasker, or platform (an only-this-tasker rebooking nobody took)
    fee: dict[str, int] | None  # a late client cancellation's fee
    reopened: bool  # a tasker's cancellation puts the task back on offer


@dataclass(frozen=True, kw_only=True)
class TaskAdjustment(TaskLifecycle):
    """A claim beyond the booked amount: asked for (`TaskAdjustmentRequested`), then decided."""

    minutes_worked: int  # (the tasker's reason: adjustments.reason)
    booked: dict[str, int]
    claimed: dict[str, int]
    status: str  # pending, approved, disputed, expired, upheld or rejected
    due_at: datetime


class TaskAdjustmentRequested(TaskAdjustment):
    TYPE = "task.adjustment_requested"


class TaskAdjustmentDecided(TaskAdjustment):
    TYPE = "task.adjustment_decided"


@dataclass(frozen=True, kw_only=True)
class HandoffOffered(TaskLifecycle):
    TYPE = "task.handoff_offered"
    offer_id: int
    to_tasker_id: int
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class HandoffClosed(TaskLifecycle):
    """An offer declined, withdrawn or lapsed; `tasker_id` still holds the task."""

    offer_id: int  # (the peer's reason: handoff_offers.reason)
    to_tasker_id: int


class HandoffDeclined(HandoffClosed):
    TYPE = "task.handoff_declined"


class HandoffWithdrawn(HandoffClosed):
    TYPE = "task.handoff_withdrawn"


class HandoffLapsed(HandoffClosed):
    TYPE = "task.handoff_lapsed"


@dataclass(frozen=True, kw_only=True)
class HandedOff(TaskLifecycle):
    TYPE = "task.handed_off"
    offer_id: int
    from_tasker_id: int
    late: bool  # less than 24 h before the start


@dataclass(frozen=True, kw_only=True)
class MessageSent(TypedEvent):
    TYPE = "message.sent"
    message_id: int
    task_id: int
    sender_id: int
    recipient_id: int
    masked: bool  # the words are read by message_id (docs/privacy.md)
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ReviewSubmitted(TypedEvent):
    TYPE = "review.submitted"
    review_id: int
    task_id: int
    tasker_id: int
    client_id: int
    category: str
    at: datetime
    by: str | None = None  # None: from before double-blind reviews, shown at once with its rating
    rating: int | None = None  # only on those older events: a new one's stars travel in review.revealed


@dataclass(frozen=True, kw_only=True)
class ReviewRevealed(TypedEvent):
    TYPE = "review.revealed"
    task_id: int
    tasker_id: int
    client_id: int
    category: str
    reason: str
    tasker_rating: int | None  # the client's rating of the tasker
    client_rating: int | None  # the tasker's rating of the client
    at: datetime


@dataclass(frozen=True, kw_only=True)
class PaymentEvent(TypedEvent):
    """The view of any payment.* event; `by_kind(PAYMENTS)[status]` builds the one for a status."""

    task_id: int
    intent_id: str  # the client's PaymentIntent: internal, never shown to a tasker
    amount: int
    reference: str  # the Stripe object: intent, refund or transfer id
    source: str  # api or webhook
    stripe_event_id: str | None
    at: datetime


class PaymentAuthorized(PaymentEvent):
    TYPE = "payment.authorized"


class PaymentCaptured(PaymentEvent):
    TYPE = "payment.captured"


class PaymentFailed(PaymentEvent):
    TYPE = "payment.failed"


class PaymentRefunded(PaymentEvent):
    TYPE = "payment.refunded"


class PaymentTransferred(PaymentEvent):
    TYPE = "payment.transferred"


class PaymentReleased(PaymentEvent):
    TYPE = "payment.released"


PAYMENTS = (PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentTransferred, PaymentReleased)


@dataclass(frozen=True, kw_only=True)
class DeadLetter(TypedEvent):
    """A record a consumer gave up on, on its topic's `.dlq` (events/runner.py)."""

    TYPE = "deadletter"
    original_topic: str
    original_partition: int
    original_offset: int
    original_key: str | None
    original_value: str  # the raw bytes as UTF-8 (replacement for junk)
    original_event_id: str | None
    consumer: str
    error: str
    attempts: int
    failed_at: datetime


E = TypeVar("E", bound=TypedEvent)


def by_kind(classes: tuple[type[E], ...]) -> dict[str, type[E]]:
    """Classes of one family by the kind their type names after its dot: {"captured": PaymentCaptured}."""
    return {cls.TYPE.partition(".")[2]: cls for cls in classes}


# Every event type's class, by its name.
EVENTS: dict[str, type[TypedEvent]] = {
    cls.TYPE: cls
    for cls in (
        TaskPosted,
        TaskPriced,
        FloorsChanged,
        TaskAccepted,
        TaskStarted,
        TaskCompleted,
        TaskCancelled,
        TaskAdjustmentRequested,
        TaskAdjustmentDecided,
        HandoffOffered,
        HandoffDeclined,
        HandoffWithdrawn,
        HandoffLapsed,
        HandedOff,
        RebookingClosed,
        ReviewSubmitted,
        ReviewRevealed,
        MessageSent,
        EndorsementGiven,
        EndorsementWithdrawn,
        EndorsementRevoked,
        ConnectionRequested,
        ConnectionAccepted,
        ConnectionRemoved,
        ConnectionBlocked,
        TipPosted,
        TipVoted,
        TipHidden,
        QuestionAsked,
        QuestionHidden,
        AnswerPosted,
        AnswerVoted,
        AnswerAccepted,
        AnswerHidden,
        ReputationChanged,
        *PAYMENTS,
        DeadLetter,
    )
}
VIEWS = EVENTS  # the name the handlers' code knows them by


def view_of(event: CloudEvent) -> Any:
    """The typed view of an event, as its own type's class."""
    return EVENTS[event.type].of(event)
