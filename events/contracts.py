"""Event types: each has a topic, a schema version and a marshmallow schema for its `data`.

`encode()` validates the payload on the way out, `decode()` on the way in, so a malformed event
is refused by its producer and, if one slips through, dead-lettered by its consumer.

Producers do not write a payload by hand: each type has a typed class in events/payloads.py, which
they build and handlers read, and tests/unit/test_payloads.py holds its fields equal to the schema's.

Over 400 lines on purpose: it is the one table of event types and their schemas, meant to be read in
one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from events.envelope import CloudEvent, InvalidEvent, envelope_from_json, envelope_to_json
from events.fastload import loader_for
from events.fields import cents, slug, whole
from pricing.quote import Quote


class Payload(Schema):
    class Meta:
        unknown = RAISE


class TaskPosted(Payload):
    task_id = whole(required=True)
    client_id = whole(required=True)
    category = fields.String(required=True)
    region = fields.String(required=True)
    title = fields.String(required=True)
    estimated_minutes = whole(required=True)
    starts_at = fields.AwareDateTime(required=True)
    offered_rate = whole(required=True, allow_none=True)
    posted_at = fields.AwareDateTime(required=True)


# A quote on an event is the engine's Quote, field for field: built from its fields, so the two
# cannot drift (money in cents; the billable minutes and the rule's version as whole numbers).
QuotePayload: type[Schema] = Payload.from_dict(
    {
        name: whole(required=True) if name in ("billable_minutes", "rule_version") else cents(required=True)
        for name in Quote._fields
    },
    name="QuotePayload",
)


class TaskPriced(Payload):
    task_id = whole(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["priced", "rejected"]))
    category = fields.String(required=True)
    region = fields.String(required=True)
    quote = fields.Nested(QuotePayload, required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    priced_at = fields.AwareDateTime(required=True)


class FloorRulePayload(Payload):
    version = whole(required=True, validate=validate.Range(min=1))
    hourly_floor = cents(required=True)
    per_task_floor = cents(required=True)
    min_billable_minutes = whole(required=True, validate=validate.Range(min=0))
    billing_increment_minutes = whole(required=True, validate=validate.Range(min=1))
    service_fee_bps = whole(required=True, validate=validate.Range(0, 10_000))
    trust_fee_bps = whole(required=True, validate=validate.Range(0, 10_000))
    tasker_commission_bps = whole(required=True, validate=validate.Range(0, 10_000))
    effective_from = fields.AwareDateTime(required=True)
    author = fields.String(required=True)
    reason = fields.String(required=True)


class FloorsChanged(Payload):
    """The state of one (category, region) key: every version, so that compaction, which keeps
    only the latest message per key, still leaves the rule in force at any past posting time."""

    category = slug(required=True)
    region = slug(required=True)
    versions = fields.List(fields.Nested(FloorRulePayload), required=True, validate=validate.Length(min=1))


class TaskLifecycle(Payload):
    """What every lifecycle event says: whose task, held by whom, in which category, and when."""

    task_id = whole(required=True)
    client_id = whole(required=True)
    tasker_id = whole(required=True, allow_none=True)
    category = slug(required=True)
    region = slug(required=True)
    at = fields.AwareDateTime(required=True)


class RebookingClosed(TaskLifecycle):
    """The tasker a rebooking was addressed to declined it or let it lapse."""

    addressed_to_id = whole(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["declined", "lapsed"]))
    reopened = fields.Boolean(required=True)  # False: "only this tasker", so it was cancelled free


class TaskCompleted(TaskLifecycle):
    minutes_worked = whole(required=True, validate=validate.Range(min=1))
    quote = fields.Nested(QuotePayload, required=True)


class TaskCancelled(TaskLifecycle):
    """Who cancelled; their reason, in their words, stays in the task's steps (task_steps.note)."""

    # "platform": the system closed an only-this-tasker rebooking nobody took (free; the hold released)
    cancelled_by = fields.String(required=True, validate=validate.OneOf(["client", "tasker", "platform"]))
    fee = fields.Nested(QuotePayload, required=True, allow_none=True)  # a late client cancellation
    reopened = fields.Boolean(required=True)  # a tasker's cancellation puts the task back on offer


class TaskAdjustment(TaskLifecycle):
    """A tasker's claim beyond the booked amount (`pending`), and how it was decided. The tasker's
    reason is in the claim's row (adjustments.reason), not here."""

    minutes_worked = whole(required=True, validate=validate.Range(min=1))
    booked = fields.Nested(QuotePayload, required=True)
    claimed = fields.Nested(QuotePayload, required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["pending", "approved", "disputed", "expired", "upheld", "rejected"])
    )
    due_at = fields.AwareDateTime(required=True)


class HandoffOffered(TaskLifecycle):
    """`tasker_id` holds the task and offers it to `to_tasker_id` until `expires_at`."""

    offer_id = whole(required=True)
    to_tasker_id = whole(required=True)
    expires_at = fields.AwareDateTime(required=True)


class HandoffClosed(TaskLifecycle):
    """An offer declined by the peer, withdrawn (by the first tasker, or because the task moved on)
    or lapsed unanswered; `tasker_id` still holds the task. The peer's reason is in the offer's
    row (handoff_offers.reason), read by `offer_id`."""

    offer_id = whole(required=True)
    to_tasker_id = whole(required=True)


class HandedOff(TaskLifecycle):
    """The task now belongs to `tasker_id`, who accepted offer `offer_id` from `from_tasker_id`.
    `late`: less than 24 h before the start, so it counts half a cancellation for the first tasker."""

    offer_id = whole(required=True)
    from_tasker_id = whole(required=True)
    late = fields.Boolean(required=True)


class EndorsementEvent(Payload):
    endorsement_id = whole(required=True)
    endorser_id = whole(required=True)
    endorsee_id = whole(required=True)
    category = slug(required=True)
    at = fields.AwareDateTime(required=True)


class EndorsementGiven(EndorsementEvent):
    """The endorser's standing in the category when they gave it, and the monthly allowance of
    mentoring endorsements then in force: the projection decides from these alone. What the
    endorser wrote stays in the endorsement's row (read by its id), not in the log."""

    endorser_tier = fields.String(required=True, validate=validate.OneOf(["newcomer", "trusted", "elite"]))
    endorser_completed = whole(required=True, validate=validate.Range(min=0))
    mentor_cap = whole(required=True, validate=validate.Range(min=0))


class EndorsementWithdrawn(EndorsementEvent):
    """Withdrawn by the endorser (`revoked_by` None) or revoked by an operator (whose reason is
    in the endorsement's row)."""

    revoked_by = whole(required=True, allow_none=True)


class ConnectionEvent(Payload):
    tasker_id = whole(required=True)  # who acted
    other_id = whole(required=True)
    at = fields.AwareDateTime(required=True)


class MessageSent(Payload):
    """A message was written on a task's thread. Its words are not in the event: the log keeps no
    private text it cannot forget (docs/privacy.md); a consumer that needs them reads the message
    by its id, and finds nothing once it is deleted (an account closed)."""

    message_id = whole(required=True)
    task_id = whole(required=True)
    sender_id = whole(required=True)
    recipient_id = whole(required=True)
    masked = fields.Boolean(required=True)
    at = fields.AwareDateTime(required=True)


class ReviewSubmitted(Payload):
    """A review was written. Since double-blind reviews it says who wrote it (`by`) and never what
    it says: the stars travel only in `review.revealed`. An event from before (no `by`) carries the
    client's rating and was shown at once; its comment, if any, is forgotten (FORGOTTEN)."""

    review_id = whole(required=True)
    task_id = whole(required=True)
    tasker_id = whole(required=True)
    client_id = whole(required=True)
    category = slug(required=True)
    by = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["client", "tasker"]))
    rating = whole(load_default=None, allow_none=True, validate=validate.Range(1, 5))
    at = fields.AwareDateTime(required=True)


class ReviewRevealed(Payload):
    """A task's reviews are shown: both are in, or the window passed with one (or none) in."""

    task_id = whole(required=True)
    tasker_id = whole(required=True)
    client_id = whole(required=True)
    category = slug(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["both", "lapsed"]))
    tasker_rating = whole(required=True, allow_none=True, validate=validate.Range(1, 5))  # the client's, of the tasker
    client_rating = whole(required=True, allow_none=True, validate=validate.Range(1, 5))  # the tasker's, of the client
    at = fields.AwareDateTime(required=True)


class TipEvent(Payload):
    tip_id = whole(required=True)
    category = slug(required=True)
    author_id = whole(required=True)
    at = fields.AwareDateTime(required=True)


class TipPosted(TipEvent):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    body_html = fields.String(required=True)  # already sanitized by the producer


class TipVoted(TipEvent):
    voter_id = whole(required=True)
    helpful = fields.Boolean(required=True)


class TipHidden(TipEvent):
    hidden_by = whole(required=True)
    reason = fields.String(required=True)


class QuestionEvent(Payload):
    question_id = whole(required=True)
    category = slug(required=True)
    author_id = whole(required=True)
    at = fields.AwareDateTime(required=True)


class QuestionAsked(QuestionEvent):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))


class QuestionHidden(QuestionEvent):
    hidden_by = whole(required=True)
    reason = fields.String(required=True)


class AnswerEvent(Payload):
    answer_id = whole(required=True)
    question_id = whole(required=True)
    category = slug(required=True)
    author_id = whole(required=True)  # the answer's author
    at = fields.AwareDateTime(required=True)


class AnswerVoted(AnswerEvent):
    voter_id = whole(required=True)
    helpful = fields.Boolean(required=True)


class AnswerAccepted(AnswerEvent):
    accepted_by = whole(required=True)  # the asker


class AnswerHidden(AnswerEvent):
    hidden_by = whole(required=True)
    reason = fields.String(required=True)


class ReputationChanged(Payload):
    tasker_id = whole(required=True)
    category = slug(required=True)
    score = whole(required=True, validate=validate.Range(0, 100))
    tier = fields.String(required=True)
    rating = fields.Float(required=True)
    reliability = fields.Float(required=True, allow_none=True)
    tip_karma = fields.Float(required=True)
    completed = whole(required=True)
    at = fields.AwareDateTime(required=True)


class PaymentEvent(Payload):
    task_id = whole(required=True)
    intent_id = fields.String(required=True)
    amount = cents(required=True)
    reference = fields.String(required=True)  # the Stripe object: intent, refund or transfer id
    source = fields.String(required=True, validate=validate.OneOf(["api", "webhook"]))
    stripe_event_id = fields.String(required=True, allow_none=True)
    at = fields.AwareDateTime(required=True)


class DeadLetter(Payload):
    original_topic = fields.String(required=True)
    original_partition = fields.Integer(required=True)
    original_offset = fields.Integer(required=True)
    original_key = fields.String(required=True, allow_none=True)
    original_value = fields.String(required=True)  # the raw bytes as UTF-8 (replacement for junk)
    original_event_id = fields.String(required=True, allow_none=True)
    consumer = fields.String(required=True)
    error = fields.String(required=True)
    attempts = fields.Integer(required=True)
    failed_at = fields.AwareDateTime(required=True)


@dataclass(frozen=True)
class EventType:
    name: str
    topic: str
    schema: type[Payload]
    version: int = 1


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in [
        EventType("task.posted", "tasks.posted", TaskPosted),
        EventType("task.priced", "tasks.priced", TaskPriced),
        EventType("floors.changed", "pricing.floors", FloorsChanged),
        EventType("task.accepted", "tasks.lifecycle", TaskLifecycle),
        EventType("task.started", "tasks.lifecycle", TaskLifecycle),
        EventType("task.completed", "tasks.lifecycle", TaskCompleted),
        EventType("task.cancelled", "tasks.lifecycle", TaskCancelled),
        EventType("task.adjustment_requested", "tasks.lifecycle", TaskAdjustment),
        EventType("task.adjustment_decided", "tasks.lifecycle", TaskAdjustment),
        EventType("task.handoff_offered", "tasks.lifecycle", HandoffOffered),
        *(
            EventType(f"task.handoff_{kind}", "tasks.lifecycle", HandoffClosed)
            for kind in ("declined", "withdrawn", "lapsed")
        ),
        EventType("task.handed_off", "tasks.lifecycle", HandedOff),
        EventType("task.rebooking_closed", "tasks.lifecycle", RebookingClosed),
        EventType("review.submitted", "reviews.submitted", ReviewSubmitted),
        EventType("review.revealed", "reviews.submitted", ReviewRevealed),
        EventType("message.sent", "messages", MessageSent),
        EventType("endorsement.given", "community.activity", EndorsementGiven),
        EventType("endorsement.withdrawn", "community.activity", EndorsementWithdrawn),
        EventType("endorsement.revoked", "community.activity", EndorsementWithdrawn),
        *(
            EventType(f"connection.{kind}", "community.activity", ConnectionEvent)
            for kind in ("requested", "accepted", "removed", "blocked")
        ),
        EventType("tip.posted", "tips.activity", TipPosted),
        EventType("tip.voted", "tips.activity", TipVoted),
        EventType("tip.hidden", "tips.activity", TipHidden),
        EventType("question.asked", "tips.activity", QuestionAsked),
        EventType("question.hidden", "tips.activity", QuestionHidden),
        EventType("answer.posted", "tips.activity", AnswerEvent),
        EventType("answer.voted", "tips.activity", AnswerVoted),
        EventType("answer.accepted", "tips.activity", AnswerAccepted),
        EventType("answer.hidden", "tips.activity", AnswerHidden),
        EventType("reputation.changed", "reputation.changes", ReputationChanged),
        *(
            EventType(f"payment.{kind}", "payments.events", PaymentEvent)
            for kind in ("authorized", "captured", "failed", "refunded", "transferred", "released")
        ),
        EventType("deadletter", "*.dlq", DeadLetter),
    ]
}


# Private words that events written before docs/privacy.md carried, per type. No producer may write
# them (encode refuses them, as it refuses any unknown field); a consumer reading old history (a
# replay, a Kafka topic not yet past its retention, a dead letter) drops them before the schema
# loads the rest, so such an event decodes and nothing downstream ever sees the words. Migration
# 0022 removed them from the embedded log's rows.
FORGOTTEN: dict[str, frozenset[str]] = {
    "message.sent": frozenset({"body"}),
    "endorsement.given": frozenset({"text"}),
    "review.submitted": frozenset({"comment"}),
    # The reasons people give each other (a give-back, a claim, a declined hand-off, a withdrawal).
    "task.cancelled": frozenset({"reason"}),
    "task.adjustment_requested": frozenset({"reason"}),
    "task.adjustment_decided": frozenset({"reason"}),
    **{f"task.handoff_{kind}": frozenset({"reason"}) for kind in ("declined", "withdrawn", "lapsed")},
    "endorsement.withdrawn": frozenset({"reason"}),
    "endorsement.revoked": frozenset({"reason"}),
}


def forget(type_name: str, data: Any) -> Any:
    """`data` without the words FORGOTTEN names for its type (the same dict when there are none)."""
    dropped = FORGOTTEN.get(type_name)
    if not dropped or not isinstance(data, dict) or dropped.isdisjoint(data):
        return data
    return {k: v for k, v in data.items() if k not in dropped}


_SCHEMAS: dict[str, tuple[Payload, Callable[[Any], dict[str, Any]]]] = {}


def _built(etype: EventType) -> tuple[Payload, Callable[[Any], dict[str, Any]]]:
    """The type's schema and its load (through the compiled common case, events.fastload).
    Building a marshmallow schema costs more than loading with one: build each once."""
    built = _SCHEMAS.get(etype.name)
    if built is None:
        schema = etype.schema()
        built = _SCHEMAS[etype.name] = (schema, loader_for(schema))
    return built


def _type_of(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise InvalidEvent(f"unknown event type {name!r}") from None


def _jsonable(value: Any) -> Any:
    """Python values as JSON would carry them, so that load() validates what consumers will see."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def encode(event: CloudEvent) -> bytes:
    """Validate the payload against its schema and serialise the whole envelope."""
    schema, load = _built(_type_of(event.type))
    try:
        payload = schema.dump(load(_jsonable(event.data)))
    except ValidationError as exc:
        raise InvalidEvent(f"{event.type} payload refused: {exc.messages}") from None
    return envelope_to_json(event, payload)


def decode(raw: bytes) -> CloudEvent:
    """Parse and validate an envelope and its payload; raise InvalidEvent if either is bad."""
    doc = envelope_from_json(raw)
    etype = _type_of(doc["type"])
    if doc["schemaversion"] != etype.version:
        raise InvalidEvent(
            f"{doc['type']} schema version {doc['schemaversion']} is not supported (expected {etype.version})"
        )
    try:
        _, load = _built(etype)
        data = load(forget(etype.name, doc["data"]))
    except ValidationError as exc:
        raise InvalidEvent(f"{doc['type']} payload invalid: {exc.messages}") from None
    return CloudEvent(
        type=doc["type"],
        subject=doc["subject"],
        data=data,
        id=doc["id"],
        source=doc["source"],
        time=doc["time"],
        schemaversion=doc["schemaversion"],
    )
