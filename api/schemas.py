"""The public contract's request and response shapes. Money fields are integer cents."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

Cents = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000_000), **kw)  # noqa: E731
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Must be a lowercase slug, e.g. yard-work.")


class SignupSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    role = fields.String(required=True, validate=validate.OneOf(["client", "tasker"],
                         error="Must be client or tasker (operators are created with the CLI)."))
    display_name = fields.String(validate=validate.Length(max=80))


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    display_name = fields.String()


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    user = fields.Nested(UserSchema)


class QuoteSchema(Schema):
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


class TaskCreateSchema(Schema):
    category = fields.String(required=True, validate=SLUG)
    region = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    estimated_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=7 * 24 * 60))
    starts_at = fields.AwareDateTime(required=True)
    offered_rate = Cents(load_default=None, allow_none=True)


class PaymentSchema(Schema):
    status = fields.String(metadata={"description": "pending, authorized, failed, captured, released or refunded"})
    amount_authorized = fields.Integer()
    amount_captured = fields.Integer()
    amount_refunded = fields.Integer()
    amount_transferred = fields.Integer()
    failure_message = fields.String(allow_none=True)


class TaskSchema(Schema):
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
    cancellation_fee = fields.Nested(QuoteSchema, allow_none=True,
                                     metadata={"description": "What a late cancellation costs the client"})
    payment_status = fields.String(allow_none=True)
    payment = fields.Nested(PaymentSchema, allow_none=True)


class BookSchema(Schema):
    payment_method = fields.String(required=True, validate=validate.Length(min=1, max=255), metadata={
        "description": "A Stripe PaymentMethod id from Stripe.js (in test mode e.g. pm_card_visa)"})


class BookingSchema(Schema):
    task = fields.Nested(lambda: TaskSchema())
    client_secret = fields.String(allow_none=True, metadata={
        "description": "When the bank asks for 3-D Secure: confirm it with Stripe.js, then GET the task"})


class RefundCreateSchema(Schema):
    amount = fields.Integer(load_default=None, allow_none=True, strict=True,
                            validate=validate.Range(min=1, max=100_000_000),
                            metadata={"description": "Cents; all that is left to refund if omitted"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class PayoutAccountSchema(Schema):
    account_id = fields.String(allow_none=True)
    onboarding_url = fields.String(allow_none=True)


class TaskListArgsSchema(Schema):
    open = fields.Boolean(load_default=False, metadata={
        "description": "Taskers: the feed of priced tasks you may accept now"})
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["posted", "priced", "rejected", "accepted", "in_progress", "completed", "cancelled"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class CompleteSchema(Schema):
    minutes_worked = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=7 * 24 * 60))


class CancelSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class ReviewCreateSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class ReviewSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    tasker_id = fields.Integer()
    rating = fields.Integer()
    comment = fields.String()
    created_at = fields.AwareDateTime()


class SkillSchema(Schema):
    category = fields.String(required=True, validate=SLUG)
    rate = Cents(required=True, metadata={"description": "Your own rate, cents an hour; never below the floor"})


class SkillsUpdateSchema(Schema):
    regions = fields.List(fields.String(validate=SLUG), required=True, validate=validate.Length(max=50))
    skills = fields.List(fields.Nested(SkillSchema), required=True, validate=validate.Length(max=50))


class SkillViewSchema(Schema):
    category = fields.String()
    rate = fields.Integer()
    level = fields.String()
    unlocked = fields.Boolean()
    floor = fields.Integer(allow_none=True)
    raised_from = fields.Integer(allow_none=True, metadata={"description": "Set when a floor rise raised your rate"})
    raised_at = fields.AwareDateTime(allow_none=True)


class SkillsViewSchema(Schema):
    regions = fields.List(fields.String())
    skills = fields.List(fields.Nested(SkillViewSchema))
    skilled_unlocked = fields.Boolean()
    licensed = fields.List(fields.String())


class CategoryReputationSchema(Schema):
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


class ReputationSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()
    tier = fields.String()
    score = fields.Integer()
    completed = fields.Integer()
    levels = fields.List(fields.String())
    licensed_categories = fields.List(fields.String())
    categories = fields.List(fields.Nested(CategoryReputationSchema))


class LicenseCreateSchema(Schema):
    category = fields.String(required=True, validate=SLUG)
    note = fields.String(load_default="", validate=validate.Length(max=300))


class LicenseSchema(Schema):
    tasker_id = fields.Integer()
    category = fields.String()
    verified_by = fields.Integer()
    note = fields.String()
    verified_at = fields.AwareDateTime()


class TipCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                         metadata={"description": "Markdown; raw HTML is shown as text and links are sanitized"})


class TipSchema(Schema):
    id = fields.Integer()
    category = fields.String()
    author_id = fields.Integer()
    title = fields.String()
    body_html = fields.String()
    hidden = fields.Boolean()
    created_at = fields.AwareDateTime()


class VoteCreateSchema(Schema):
    helpful = fields.Boolean(required=True)


class VoteSchema(Schema):
    tip_id = fields.Integer()
    voter_id = fields.Integer()
    helpful = fields.Boolean()
    created_at = fields.AwareDateTime()


class HideSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class BoardArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class BoardTipSchema(Schema):
    tip_id = fields.Integer()
    title = fields.String()
    body_html = fields.String()
    author_id = fields.Integer()
    helpful = fields.Integer()
    unhelpful = fields.Integer()
    rank = fields.Float(metadata={"description": "Wilson lower bound of the helpful share, with time decay"})
    posted_at = fields.AwareDateTime()


class BoardSchema(Schema):
    category = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    tips = fields.List(fields.Nested(BoardTipSchema))


class CategorySchema(Schema):
    slug = fields.String()
    name = fields.String()
    level = fields.String()
    description = fields.String()


class CategoryArgsSchema(Schema):
    level = fields.String(validate=validate.OneOf(["general", "skilled", "licensed"]),
                          metadata={"description": "Only the categories at this level"})


class RegionArgsSchema(Schema):
    region = fields.String(validate=SLUG)


class FloorSchema(Schema):
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


class QuoteRequestSchema(Schema):
    category = fields.String(required=True, validate=SLUG)
    region = fields.String(required=True, validate=SLUG)
    estimated_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=7 * 24 * 60))
    offered_rate = Cents(load_default=None, allow_none=True)


class FloorChangeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    effective_from = fields.AwareDateTime(load_default=None, allow_none=True)
    hourly_floor = Cents()
    per_task_floor = Cents()
    min_billable_minutes = fields.Integer(strict=True, validate=validate.Range(min=0, max=1440))
    billing_increment_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=1440))
    service_fee_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    trust_fee_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    tasker_commission_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))


class HistoryArgsSchema(Schema):
    category = fields.String(validate=SLUG)
    region = fields.String(validate=SLUG)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class FieldChangeSchema(Schema):
    old = fields.Integer(allow_none=True)
    new = fields.Integer()


class FloorHistorySchema(Schema):
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
        exclude = ("reason", "effective_from")

    category = fields.String(load_default=None, validate=SLUG)
    region = fields.String(load_default=None, validate=SLUG)


class SimulateSchema(Schema):
    changes = fields.List(fields.Nested(ProposedFloorSchema), required=True,
                          validate=validate.Length(min=1, max=100))
    days = fields.Integer(load_default=30, strict=True, validate=validate.Range(min=1, max=366))


class CategoryImpactSchema(Schema):
    category = fields.String()
    postings = fields.Integer()
    affected = fields.Integer()
    unpriceable = fields.Integer()
    client_delta_total = fields.Integer()
    client_delta_avg = fields.Integer()
    payout_delta_total = fields.Integer()
    payout_delta_avg = fields.Integer()


class SimulationSchema(Schema):
    days = fields.Integer()
    postings = fields.Integer()
    categories = fields.List(fields.Nested(CategoryImpactSchema))
