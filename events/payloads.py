"""Typed views of the event payloads the handlers read: a handler writes `TaskPosted.of(event)` and
its reader sees every field the event carries, with its type, instead of `event.data["..."]`.

Each view names exactly the fields of its marshmallow schema in `events.contracts` (a test holds
them equal), and `of()` reads an event those schemas already validated, so a view never meets a
missing or mistyped field. Nested quotes stay plain dicts of integer cents (`Quote(**q)` reads them).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from typing import Any, Self

from events.envelope import CloudEvent


class _View:
    @classmethod
    def of(cls, event: CloudEvent) -> Self:
        data = event.data
        # A field with a default may be missing from an event written before it existed.
        found = fields(cls)  # type: ignore[arg-type]  # every view is a dataclass
        return cls(**{f.name: data[f.name] if f.name in data or f.default is MISSING else f.default for f in found})


@dataclass(frozen=True)
class TaskPosted(_View):
    task_id: int
    client_id: int
    category: str
    region: str
    title: str
    estimated_minutes: int
    starts_at: datetime
    offered_rate: int | None
    posted_at: datetime


@dataclass(frozen=True)
class TaskPriced(_View):
    task_id: int
    status: str  # priced or rejected
    category: str
    region: str
    quote: dict[str, int] | None  # None when rejected
    reason: str | None  # why it was rejected
    priced_at: datetime


@dataclass(frozen=True)
class FloorsChanged(_View):
    category: str
    region: str
    versions: list[dict[str, Any]]  # every version of the key, as FloorRulePayload loads it


@dataclass(frozen=True)
class TaskLifecycle(_View):
    task_id: int
    client_id: int
    tasker_id: int | None
    category: str
    region: str
    at: datetime


@dataclass(frozen=True)
class RebookingClosed(TaskLifecycle):
    addressed_to_id: int
    reason: str  # declined or lapsed
    reopened: bool  # False: "only this tasker", so it was cancelled free


@dataclass(frozen=True)
class TaskCompleted(TaskLifecycle):
    minutes_worked: int
    quote: dict[str, int]


@dataclass(frozen=True)
class TaskCancelled(TaskLifecycle):
    cancelled_by: str  # client, tasker, or platform (an only-this-tasker rebooking nobody took)
    fee: dict[str, int] | None  # a late client cancellation's fee
    reopened: bool  # a tasker's cancellation puts the task back on offer


@dataclass(frozen=True)
class TaskAdjustment(TaskLifecycle):
    minutes_worked: int  # (the tasker's reason: adjustments.reason)
    booked: dict[str, int]
    claimed: dict[str, int]
    status: str  # pending, approved, disputed, expired, upheld or rejected
    due_at: datetime


@dataclass(frozen=True)
class HandoffOffered(TaskLifecycle):
    offer_id: int
    to_tasker_id: int
    expires_at: datetime


@dataclass(frozen=True)
class HandoffClosed(TaskLifecycle):
    offer_id: int  # (the peer's reason: handoff_offers.reason)
    to_tasker_id: int


@dataclass(frozen=True)
class HandedOff(TaskLifecycle):
    offer_id: int
    from_tasker_id: int
    late: bool  # less than 24 h before the start


@dataclass(frozen=True)
class EndorsementEvent(_View):
    endorsement_id: int
    endorser_id: int
    endorsee_id: int
    category: str
    at: datetime


@dataclass(frozen=True)
class EndorsementGiven(EndorsementEvent):
    endorser_tier: str
    endorser_completed: int
    mentor_cap: int


@dataclass(frozen=True)
class EndorsementWithdrawn(EndorsementEvent):
    revoked_by: int | None  # None: the endorser withdrew it


@dataclass(frozen=True)
class ConnectionEvent(_View):
    tasker_id: int
    other_id: int
    at: datetime


@dataclass(frozen=True)
class MessageSent(_View):
    message_id: int
    task_id: int
    sender_id: int
    recipient_id: int
    masked: bool  # the words are read by message_id (docs/privacy.md)
    at: datetime


@dataclass(frozen=True)
class TipEvent(_View):
    tip_id: int
    category: str
    author_id: int
    at: datetime


@dataclass(frozen=True)
class TipPosted(TipEvent):
    title: str
    body_html: str  # sanitized by the producer


@dataclass(frozen=True)
class TipVoted(TipEvent):
    voter_id: int
    helpful: bool


@dataclass(frozen=True)
class TipHidden(TipEvent):
    hidden_by: int
    reason: str


@dataclass(frozen=True)
class ReviewSubmitted(_View):
    review_id: int
    task_id: int
    tasker_id: int
    client_id: int
    category: str
    at: datetime
    by: str | None = None  # None: from before double-blind reviews, shown at once with its rating
    rating: int | None = None


@dataclass(frozen=True)
class ReviewRevealed(_View):
    task_id: int
    tasker_id: int
    client_id: int
    category: str
    reason: str
    tasker_rating: int | None  # the client's rating of the tasker
    client_rating: int | None  # the tasker's rating of the client
    at: datetime


@dataclass(frozen=True)
class PaymentEvent(_View):
    task_id: int
    intent_id: str  # the client's PaymentIntent: internal, never shown to a tasker
    amount: int
    reference: str  # the Stripe object: intent, refund or transfer id
    source: str  # api or webhook
    stripe_event_id: str | None
    at: datetime


# The view of each event type a projection reads.
@dataclass(frozen=True)
class AnswerEvent(_View):
    answer_id: int
    question_id: int
    category: str
    author_id: int  # the answer's author
    at: datetime


@dataclass(frozen=True)
class AnswerVoted(AnswerEvent):
    voter_id: int
    helpful: bool


@dataclass(frozen=True)
class AnswerAccepted(AnswerEvent):
    accepted_by: int


@dataclass(frozen=True)
class AnswerHidden(AnswerEvent):
    hidden_by: int
    reason: str


VIEWS: dict[str, type[_View]] = {
    "task.posted": TaskPosted,
    "task.priced": TaskPriced,
    "task.accepted": TaskLifecycle,
    "task.started": TaskLifecycle,
    "task.completed": TaskCompleted,
    "task.cancelled": TaskCancelled,
    "task.adjustment_requested": TaskAdjustment,
    "task.adjustment_decided": TaskAdjustment,
    "task.handoff_offered": HandoffOffered,
    "task.handoff_declined": HandoffClosed,
    "task.handoff_withdrawn": HandoffClosed,
    "task.handoff_lapsed": HandoffClosed,
    "task.handed_off": HandedOff,
    "task.rebooking_closed": RebookingClosed,
    "review.submitted": ReviewSubmitted,
    "review.revealed": ReviewRevealed,
    "message.sent": MessageSent,
    "endorsement.given": EndorsementGiven,
    "endorsement.withdrawn": EndorsementWithdrawn,
    "endorsement.revoked": EndorsementWithdrawn,
    **{f"connection.{kind}": ConnectionEvent for kind in ("requested", "accepted", "removed", "blocked")},
    "tip.posted": TipPosted,
    "tip.voted": TipVoted,
    "tip.hidden": TipHidden,
    "answer.posted": AnswerEvent,
    "answer.voted": AnswerVoted,
    "answer.accepted": AnswerAccepted,
    "answer.hidden": AnswerHidden,
    **{
        f"payment.{kind}": PaymentEvent
        for kind in ("authorized", "captured", "failed", "refunded", "transferred", "released")
    },
}


def view_of(event: CloudEvent) -> Any:
    """The typed view of an event whose type has one (VIEWS)."""
    return VIEWS[event.type].of(event)
