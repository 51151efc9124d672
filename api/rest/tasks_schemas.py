"""Request and response shapes of the tasks API. Money fields are integer cents."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema, Instant, one_line
from events.fields import minutes, offered_rate, slug


class FloorReferenceSchema(ApiSchema):
    version = fields.Integer()
    in_force_since = fields.AwareDateTime()
    summary = fields.String()
    page = fields.String(metadata={"description": "The public page that shows this floor"})


class QuoteSchema(ApiSchema):
    floor = fields.Nested(FloorReferenceSchema, metadata={"description": "The floor this price comes from"})
    rate = fields.Integer()
    billable_minutes = fields.Integer()
    subtotal = fields.Integer()
    service_fee = fields.Integer()
    trust_fee = fields.Integer()
    commission = fields.Integer()
    total = fields.Integer()
    payout = fields.Integer()
    platform = fields.Integer()
    rule_version = fields.Integer()
    notes = fields.List(
        fields.String(),
        metadata={"description": "Previews only: what to know about the price (an offer below the floor is not used)"},
    )


class TaskCreateSchema(ApiSchema):
    category = slug(required=True)
    region = slug(required=True)
    title = fields.String(required=True, validate=[validate.Length(min=1, max=120), one_line])
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    estimated_minutes = minutes(required=True)
    starts_at = Instant(required=True)
    offered_rate = offered_rate(load_default=None)
    area = fields.String(
        load_default="",
        validate=validate.Length(max=80),
        metadata={"description": "Public: the approximate area taskers see in their feed (a neighbourhood)"},
    )
    address = fields.String(
        load_default="",
        validate=validate.Length(max=300),
        metadata={"description": "Private: shown only to you, the tasker who holds the task, and operators"},
    )
    access_notes = fields.String(
        load_default="",
        validate=validate.Length(max=1000),
        metadata={"description": "Private, like the address: gate codes, where the key is"},
    )
    handoffs_allowed = fields.Boolean(
        load_default=True,
        metadata={"description": "False: the tasker who accepts may not hand the task to a peer"},
    )
    addressed_to = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "Rebook a tasker who completed a task for you (GET /api/v1/clients/me/taskers): "
            "they alone see it for 24 h"
        },
    )
    only_addressed = fields.Boolean(
        load_default=False,
        metadata={
            "description": "With addressed_to: if they decline or let it lapse, cancel it free (not open it to all)"
        },
    )


class PaymentSchema(ApiSchema):
    status = fields.String(metadata={"description": "pending, authorized, failed, captured, released or refunded"})
    amount_authorized = fields.Integer()
    amount_captured = fields.Integer()
    amount_refunded = fields.Integer()
    amount_transferred = fields.Integer()
    amount_extra = fields.Integer(metadata={"description": "Charged beyond the hold for an approved adjustment"})
    failure_message = fields.String(allow_none=True)


class ReachSchema(ApiSchema):
    taskers = fields.Integer(metadata={"description": "Taskers who could take the task (skill, region, level, rate)"})
    stranded = fields.Boolean(metadata={"description": "No tasker could ever see the task as it stands"})
    asking_more = fields.Integer(metadata={"description": "Taskers with the skill whose own rate is above the task's"})
    lowest_asked = fields.Integer(allow_none=True, metadata={"description": "The lowest of those rates, cents an hour"})
    start_passed = fields.Boolean()
    advice = fields.List(fields.String(), metadata={"description": "What would change a stranded task"})


class PeerSchema(ApiSchema):
    id = fields.Integer()
    display_name = fields.String()


class NetworkContextSchema(ApiSchema):
    connections_worked_for_client = fields.Integer(
        metadata={"description": "How many of your connections completed a task for this client"}
    )
    connections = fields.List(fields.Nested(PeerSchema), metadata={"description": "Up to 5 of them: ask them"})


class ConnectionReviewSchema(ApiSchema):
    tasker_id = fields.Integer()
    display_name = fields.String()
    rating = fields.Integer()
    comment = fields.String()


class ClientRecordSchema(ApiSchema):
    client_id = fields.Integer()
    display_name = fields.String()
    member_since = fields.AwareDateTime()
    rating = fields.Float(
        allow_none=True,
        metadata={
            "description": "Taskers' revealed ratings: (5 x 4.0 + sum) / (5 + reviews), as for taskers; "
            "null until a review is revealed (no reviews yet)"
        },
    )
    reviews = fields.Integer(metadata={"description": "Revealed reviews by taskers"})
    tasks_completed = fields.Integer()
    taskers_worked_for_them = fields.Integer(metadata={"description": "Distinct taskers who completed tasks for them"})
    cancellations_inside_24h = fields.Integer(
        metadata={"description": "Tasks they cancelled less than 24 h before the start, once a tasker held them"}
    )
    adjustments_disputed = fields.Integer(metadata={"description": "Claims for extra time they disputed"})
    disputes_ruled_for_tasker = fields.Integer()
    disputes_ruled_for_client = fields.Integer()
    disputes_open = fields.Integer()
    your_connections_who_worked_for_them = fields.Integer(
        allow_none=True, metadata={"description": "For a tasker: how many of your connections worked for them"}
    )
    your_connections_reviews = fields.List(
        fields.Nested(ConnectionReviewSchema),
        allow_none=True,
        metadata={"description": "For a tasker: your connections' revealed reviews of this client"},
    )


class TaskSchema(ApiSchema):
    id = fields.Integer()
    status = fields.String()
    category = fields.String()
    region = fields.String()
    title = fields.String()
    description = fields.String()
    area = fields.String(metadata={"description": "The approximate area, shown in taskers' feeds"})
    address = fields.String(
        allow_none=True,
        metadata={"description": "Null unless you are the client, the tasker holding the task, or an operator"},
    )
    access_notes = fields.String(allow_none=True, metadata={"description": "Private, like the address"})
    estimated_minutes = fields.Integer()
    starts_at = fields.AwareDateTime()
    offered_rate = fields.Integer(allow_none=True)
    posted_at = fields.AwareDateTime()
    priced_at = fields.AwareDateTime(allow_none=True)
    rule_version = fields.Integer(allow_none=True)
    floor = fields.Nested(
        FloorReferenceSchema, allow_none=True, metadata={"description": "The floor version the task is priced with"}
    )
    rejection_reason = fields.String(allow_none=True)
    tasker_id = fields.Integer(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    handoffs_allowed = fields.Boolean(metadata={"description": "Whether the holder may hand the task to a peer"})
    addressed_to_id = fields.Integer(allow_none=True, metadata={"description": "A rebooking: the tasker it is for"})
    addressed_until = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Until when only that tasker sees it"}
    )
    only_addressed = fields.Boolean(metadata={"description": "Cancelled free if that tasker declines or lets it lapse"})
    client_record = fields.Nested(
        ClientRecordSchema,
        allow_none=True,
        metadata={"description": "For taskers: the client's public record (as GET /api/v1/clients/{id})"},
    )
    handed_off_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "The latest hand-off; you may cancel free for 12 h after it"}
    )
    handed_from_id = fields.Integer(allow_none=True, metadata={"description": "Who handed the task to its tasker"})
    started_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancelled_by = fields.String(
        allow_none=True,
        metadata={
            "description": "Who cancelled a cancelled task: `client`, or `platform` (a rebooking for one "
            "tasker only, which they declined or let lapse: closed free of charge). A tasker who gives a task "
            "back does not cancel it: it reopens"
        },
    )
    minutes_worked = fields.Integer(allow_none=True)
    quote = fields.Nested(QuoteSchema, allow_none=True, metadata={"description": "The price when posted"})
    final_quote = fields.Nested(QuoteSchema, allow_none=True, metadata={"description": "The price on completion"})
    cancellation_fee = fields.Nested(
        QuoteSchema, allow_none=True, metadata={"description": "What a late cancellation costs the client"}
    )
    payment_status = fields.String(allow_none=True)
    payment = fields.Nested(PaymentSchema, allow_none=True)
    claimed_quote = fields.Nested(
        QuoteSchema, allow_none=True, metadata={"description": "The tasker's price for work beyond the booking"}
    )
    adjustment = fields.Nested(lambda: AdjustmentSchema(), allow_none=True)
    network = fields.Nested(
        NetworkContextSchema,
        allow_none=True,
        metadata={
            "description": "The feed only: how many of your connections completed work for this task's client, "
            "and by name those whose review of the client is revealed"
        },
    )
    reach = fields.Nested(
        ReachSchema,
        allow_none=True,
        metadata={"description": "The client and operators, while the task waits for a tasker: who could see it"},
    )


class TaskListArgsSchema(ApiSchema):
    open = fields.Boolean(
        load_default=False, metadata={"description": "Taskers: the feed of priced tasks you may accept now"}
    )
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["posted", "priced", "rejected", "accepted", "in_progress", "awaiting_approval", "completed", "cancelled"]
        ),
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class WaitingSchema(ApiSchema):
    count = fields.Integer(metadata={"description": "Tasks that match you but whose tier's window has not passed"})
    next_opens_at = fields.AwareDateTime(allow_none=True, metadata={"description": "When the first opens to you"})
    windows = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Per category: seconds after pricing before you see a task (your tier's window)"},
    )
    higher_tiers_first = fields.Boolean(
        metadata={
            "description": "Whether a higher tier sees some of these tasks before you; false when the wait is "
            "everyone's (you are at the top tier, or every tier above yours waits as long)"
        }
    )
    explanation = fields.String()


class NotOpenYetSchema(ApiSchema):
    code = fields.Integer()
    status = fields.String()
    message = fields.String(metadata={"description": "Why, with the time it opens to you on the region's clock"})
    opens_at = fields.AwareDateTime(
        allow_none=True,
        metadata={
            "description": "When the task opens to you (it matches you, but your tier's window has not passed); "
            "absent when the task was taken or closed"
        },
    )
    errors = fields.Dict()


class TaskPageSchema(ApiSchema):
    items = fields.List(fields.Nested(TaskSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    waiting = fields.Nested(WaitingSchema, metadata={"description": "The feed only: what is not open to you yet"})


class CompleteSchema(ApiSchema):
    minutes_worked = minutes(required=True)
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata={
            "description": "Why it took longer, when the minutes come to more than the client booked: the client "
            "sees it and approves or disputes the extra"
        },
    )


class AdjustmentSchema(ApiSchema):
    minutes_claimed = fields.Integer()
    reason = fields.String()
    booked_total = fields.Integer(metadata={"description": "What the client booked (the hold)"})
    claimed_total = fields.Integer(metadata={"description": "The price for the minutes claimed"})
    extra = fields.Integer(metadata={"description": "claimed_total - booked_total: charged only if approved"})
    status = fields.String(metadata={"description": "pending, approved, disputed, expired, upheld or rejected"})
    requested_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(metadata={"description": "Unanswered by then, the booked amount stands"})
    decided_at = fields.AwareDateTime(allow_none=True)
    note = fields.String()


class DisputeSchema(ApiSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RulingSchema(ApiSchema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(["tasker", "client"]),
        metadata={
            "description": "tasker: charge the client the difference and pay it on; client: the booked amount stands"
        },
    )
    note = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CancelSchema(ApiSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class ReviewCreateSchema(ApiSchema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class ReviewSchema(ApiSchema):
    """Your own review, as you wrote it (the other side reads it only once both are revealed)."""

    id = fields.Integer()
    task_id = fields.Integer()
    tasker_id = fields.Integer()
    client_id = fields.Integer()
    rating = fields.Integer()
    comment = fields.String()
    created_at = fields.AwareDateTime()
    revealed_at = fields.AwareDateTime(allow_none=True)


class ShownReviewSchema(ApiSchema):
    rating = fields.Integer()
    comment = fields.String()
    created_at = fields.AwareDateTime()


class TaskReviewsSchema(ApiSchema):
    task_id = fields.Integer()
    revealed = fields.Boolean(metadata={"description": "Both reviews are shown (both in, or the window passed)"})
    revealed_at = fields.AwareDateTime(allow_none=True)
    reveal_due_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When they are shown at the latest (14 days after completion)"}
    )
    open = fields.Boolean(metadata={"description": "You may still write your review"})
    mine = fields.Nested(ShownReviewSchema, allow_none=True)
    theirs = fields.Nested(
        ShownReviewSchema, allow_none=True, metadata={"description": "The other side's review: null until revealed"}
    )
    theirs_written = fields.Boolean(metadata={"description": "Whether the other side has written theirs"})


# Examples for the API docs, one per request body (each loads cleanly: tests/unit/test_api_examples.py).
EXAMPLES = {
    TaskCreateSchema: {
        "category": "yard-work",
        "region": "springfield",
        "title": "Trim the hedge",
        "description": "About 20 m, front garden",
        "estimated_minutes": 90,
        "starts_at": "2030-06-01T09:00:00Z",
        "offered_rate": None,
        "area": "Old Town",
        "address": "12 Elm Street",
        "access_notes": "Side gate code 4711",
    },
    CompleteSchema: {"minutes_worked": 95, "reason": "The hedge was longer than described"},
    CancelSchema: {"reason": "Plans changed"},
    ReviewCreateSchema: {"rating": 5, "comment": "Tidy work, on time"},
    DisputeSchema: {"reason": "We agreed on an hour"},
    RulingSchema: {"decision": "tasker", "note": "Photos show twice the length described"},
}
