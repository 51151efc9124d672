"""The public contract's request and response shapes. Money fields are integer cents."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema, Instant
from pricing.quote import MAX_ESTIMATED_MINUTES, MAX_OFFERED_RATE
from pricing.rules import MAX_FLOOR_CENTS

Cents = lambda **kw: fields.Integer(  # noqa: E731 - a field factory reads best as one expression
    strict=True, validate=validate.Range(min=0, max=MAX_FLOOR_CENTS), **kw
)
Minutes = lambda **kw: fields.Integer(  # noqa: E731 - as above
    strict=True, validate=validate.Range(min=1, max=MAX_ESTIMATED_MINUTES), **kw
)
OfferedRate = lambda: fields.Integer(  # noqa: E731 - as above
    strict=True,
    load_default=None,
    allow_none=True,
    validate=validate.Range(min=0, max=MAX_OFFERED_RATE),
    metadata={"description": "Cents an hour above the floor; at most the engine's limit"},
)
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Must be a lowercase slug, e.g. yard-work.")


class SignupSchema(ApiSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    role = fields.String(
        required=True,
        validate=validate.OneOf(
            ["client", "tasker"], error="Must be client or tasker (operators are created with the CLI)."
        ),
    )
    display_name = fields.String(validate=validate.Length(max=80))


class UserSchema(ApiSchema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    display_name = fields.String()


class TokenRequestSchema(ApiSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class SignupAnswerSchema(ApiSchema):
    email = fields.String()
    role = fields.String()
    message = fields.String()


class TokenSchema(ApiSchema):
    token = fields.String()
    token_type = fields.String()
    id = fields.Integer(metadata={"description": "The token's id, to list or revoke it later"})
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserSchema)


class TokenInfoSchema(ApiSchema):
    id = fields.Integer()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(allow_none=True)


class QuoteSchema(ApiSchema):
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


class TaskCreateSchema(ApiSchema):
    category = fields.String(required=True, validate=SLUG)
    region = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    estimated_minutes = Minutes(required=True)
    starts_at = Instant(required=True)
    offered_rate = OfferedRate()


class PaymentSchema(ApiSchema):
    status = fields.String(metadata={"description": "pending, authorized, failed, captured, released or refunded"})
    amount_authorized = fields.Integer()
    amount_captured = fields.Integer()
    amount_refunded = fields.Integer()
    amount_transferred = fields.Integer()
    amount_extra = fields.Integer(metadata={"description": "Charged beyond the hold for an approved adjustment"})
    failure_message = fields.String(allow_none=True)


class TaskSchema(ApiSchema):
    id = fields.Integer()
    status = fields.String()
    category = fields.String()
    region = fields.String()
    title = fields.String()
    description = fields.String()
    estimated_minutes = fields.Integer()
    starts_at = fields.AwareDateTime()
    offered_rate = fields.Integer(allow_none=True)
    posted_at = fields.AwareDateTime()
    priced_at = fields.AwareDateTime(allow_none=True)
    rule_version = fields.Integer(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    tasker_id = fields.Integer(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    started_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
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


class BookSchema(ApiSchema):
    payment_method = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "A Stripe PaymentMethod id from Stripe.js (in test mode e.g. pm_card_visa)"},
    )


class BookingSchema(ApiSchema):
    task = fields.Nested(lambda: TaskSchema())
    client_secret = fields.String(
        allow_none=True,
        metadata={"description": "When the bank asks for 3-D Secure: confirm it with Stripe.js, then GET the task"},
    )


class RefundCreateSchema(ApiSchema):
    amount = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=100_000_000),
        metadata={"description": "Cents; all that is left to refund if omitted"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class PayoutAccountSchema(ApiSchema):
    account_id = fields.String(allow_none=True)
    onboarding_url = fields.String(allow_none=True)


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


class TaskPageSchema(ApiSchema):
    items = fields.List(fields.Nested(TaskSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class CompleteSchema(ApiSchema):
    minutes_worked = Minutes(required=True)
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
    id = fields.Integer()
    task_id = fields.Integer()
    tasker_id = fields.Integer()
    rating = fields.Integer()
    comment = fields.String()
    created_at = fields.AwareDateTime()


class SkillSchema(ApiSchema):
    category = fields.String(required=True, validate=SLUG)
    rate = Cents(required=True, metadata={"description": "Your own rate, cents an hour; never below the floor"})


class SkillsUpdateSchema(ApiSchema):
    regions = fields.List(fields.String(validate=SLUG), required=True, validate=validate.Length(max=50))
    skills = fields.List(fields.Nested(SkillSchema), required=True, validate=validate.Length(max=50))


class SkillViewSchema(ApiSchema):
    category = fields.String()
    rate = fields.Integer()
    level = fields.String()
    unlocked = fields.Boolean()
    floor = fields.Integer(allow_none=True)
    raised_from = fields.Integer(allow_none=True, metadata={"description": "Set when a floor rise raised your rate"})
    raised_at = fields.AwareDateTime(allow_none=True)


class SkillsViewSchema(ApiSchema):
    regions = fields.List(fields.String())
    skills = fields.List(fields.Nested(SkillViewSchema))
    skilled_unlocked = fields.Boolean()
    licensed = fields.List(fields.String())


class CategoryReputationSchema(ApiSchema):
    category = fields.String()
    score = fields.Integer()
    tier = fields.String()
    rating = fields.Float()
    reviews = fields.Integer()
    reliability = fields.Float(allow_none=True)
    tip_karma = fields.Float()
    accepted = fields.Integer()
    completed = fields.Integer()
    tasker_cancelled = fields.Integer()


class ReputationSchema(ApiSchema):
    id = fields.Integer()
    display_name = fields.String()
    tier = fields.String()
    score = fields.Integer()
    completed = fields.Integer()
    levels = fields.List(fields.String())
    licensed_categories = fields.List(fields.String())
    categories = fields.List(fields.Nested(CategoryReputationSchema))


class LicenseCreateSchema(ApiSchema):
    category = fields.String(required=True, validate=SLUG)
    note = fields.String(load_default="", validate=validate.Length(max=300))


class LicenseSchema(ApiSchema):
    tasker_id = fields.Integer()
    category = fields.String()
    verified_by = fields.Integer()
    note = fields.String()
    verified_at = fields.AwareDateTime()


class TipCreateSchema(ApiSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "Markdown; raw HTML is shown as text and links are sanitized"},
    )


class TipSchema(ApiSchema):
    id = fields.Integer()
    category = fields.String()
    author_id = fields.Integer()
    title = fields.String()
    body_html = fields.String()
    hidden = fields.Boolean()
    created_at = fields.AwareDateTime()


class VoteCreateSchema(ApiSchema):
    helpful = fields.Boolean(required=True)


class VoteSchema(ApiSchema):
    tip_id = fields.Integer()
    voter_id = fields.Integer()
    helpful = fields.Boolean()
    created_at = fields.AwareDateTime()


class HideSchema(ApiSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class BoardArgsSchema(ApiSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class BoardTipSchema(ApiSchema):
    tip_id = fields.Integer()
    title = fields.String()
    body_html = fields.String()
    author_id = fields.Integer()
    helpful = fields.Integer()
    unhelpful = fields.Integer()
    rank = fields.Float(metadata={"description": "Wilson lower bound of the helpful share, with time decay"})
    posted_at = fields.AwareDateTime()


class BoardSchema(ApiSchema):
    category = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    tips = fields.List(fields.Nested(BoardTipSchema))


class CategorySchema(ApiSchema):
    slug = fields.String()
    name = fields.String()
    level = fields.String()
    description = fields.String()


class CategoryArgsSchema(ApiSchema):
    level = fields.String(
        validate=validate.OneOf(["general", "skilled", "licensed"]),
        metadata={"description": "Only the categories at this level"},
    )


class RegionArgsSchema(ApiSchema):
    region = fields.String(validate=SLUG)


class FloorSchema(ApiSchema):
    category = fields.String()
    region = fields.String()
    version = fields.Integer()
    hourly_floor = fields.Integer()
    per_task_floor = fields.Integer()
    min_billable_minutes = fields.Integer()
    billing_increment_minutes = fields.Integer()
    service_fee_bps = fields.Integer()
    trust_fee_bps = fields.Integer()
    tasker_commission_bps = fields.Integer()
    effective_from = fields.AwareDateTime()
    author = fields.String()
    reason = fields.String()


class QuoteRequestSchema(ApiSchema):
    category = fields.String(required=True, validate=SLUG)
    region = fields.String(required=True, validate=SLUG)
    estimated_minutes = Minutes(required=True)
    offered_rate = OfferedRate()


class FloorChangeSchema(ApiSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    effective_from = Instant(load_default=None, allow_none=True)
    confirm = fields.Boolean(
        load_default=False,
        metadata={"description": "Required to raise a floor past 3x its current value (a guard against an extra zero)"},
    )
    hourly_floor = Cents()
    per_task_floor = Cents()
    min_billable_minutes = fields.Integer(strict=True, validate=validate.Range(min=0, max=1440))
    billing_increment_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=1440))
    service_fee_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    trust_fee_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    tasker_commission_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))


class HistoryArgsSchema(ApiSchema):
    category = fields.String(validate=SLUG)
    region = fields.String(validate=SLUG)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class FieldChangeSchema(ApiSchema):
    old = fields.Integer(allow_none=True)
    new = fields.Integer()


class FloorHistorySchema(ApiSchema):
    category = fields.String()
    region = fields.String()
    version = fields.Integer()
    author = fields.String()
    reason = fields.String()
    created_at = fields.AwareDateTime()
    effective_from = fields.AwareDateTime()
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(FieldChangeSchema))


class ProposedFloorSchema(FloorChangeSchema):
    """A proposed change: the rule fields to try, for one category/region (or all, if omitted)."""

    class Meta:
        exclude = ("reason", "effective_from", "confirm")

    category = fields.String(load_default=None, validate=SLUG)
    region = fields.String(load_default=None, validate=SLUG)


class SimulateSchema(ApiSchema):
    changes = fields.List(fields.Nested(ProposedFloorSchema), required=True, validate=validate.Length(min=1, max=100))
    days = fields.Integer(load_default=30, strict=True, validate=validate.Range(min=1, max=366))


class CategoryImpactSchema(ApiSchema):
    category = fields.String()
    postings = fields.Integer()
    affected = fields.Integer()
    unpriceable = fields.Integer()
    client_delta_total = fields.Integer()
    client_delta_avg = fields.Integer()
    payout_delta_total = fields.Integer()
    payout_delta_avg = fields.Integer()


class SimulationSchema(ApiSchema):
    days = fields.Integer()
    postings = fields.Integer()
    categories = fields.List(fields.Nested(CategoryImpactSchema))
