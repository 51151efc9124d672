"""Request and response shapes of the operators' floors API: the table, changes, history, simulation."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema, Instant
from events.fields import cents, slug
from pricing.rules import MAX_FLOOR_CENTS


class RegionArgsSchema(ApiSchema):
    region = slug()


class FloorSchema(ApiSchema):
    category = fields.String()
    region = fields.String()
    version = fields.Integer()
    hourly_floor = fields.Integer(metadata={"description": "Cents an hour"})
    per_task_floor = fields.Integer(metadata={"description": "Cents: the least a task pays"})
    min_billable_minutes = fields.Integer()
    billing_increment_minutes = fields.Integer()
    service_fee_bps = fields.Integer(metadata={"description": "Basis points of the subtotal the client pays on top"})
    trust_fee_bps = fields.Integer()
    tasker_commission_bps = fields.Integer()
    effective_from = fields.AwareDateTime()
    summary = fields.String(metadata={"description": "What changed, in a line anyone may read"})
    author = fields.String(metadata={"description": "Operators only"})
    reason = fields.String(metadata={"description": "Operators only: the internal reason"})


class LegalMinimumSchema(ApiSchema):
    per_hour = fields.Integer(allow_none=True)
    per_minute = fields.Integer(allow_none=True)
    per_task = fields.Integer(allow_none=True)
    source = fields.String()
    effective_from = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Since when this minimum is in force (minimums change yearly)"}
    )


class PublishedFloorSchema(FloorSchema):
    """A floor in force, as everyone sees it, with what is scheduled after it."""

    category_name = fields.String()
    region_name = fields.String()
    currency = fields.String()
    timezone = fields.String(metadata={"description": "The region's IANA time zone, e.g. America/Los_Angeles"})
    legal_minimum = fields.Nested(LegalMinimumSchema)
    scheduled = fields.List(fields.Nested(FloorSchema), metadata={"description": "Changes to come, soonest first"})


class FloorChangeSchema(ApiSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    summary = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "The public line for this change; written from the change when omitted"},
    )
    effective_from = Instant(load_default=None, allow_none=True)
    confirm = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Required to raise a money field past 3x its current value, or cut it under a third of it "
            "(a guard against an extra zero, or a lost one)"
        },
    )
    hourly_floor = cents(at_most=MAX_FLOOR_CENTS)
    per_task_floor = cents(at_most=MAX_FLOOR_CENTS)
    min_billable_minutes = fields.Integer(strict=True, validate=validate.Range(min=0, max=1440))
    billing_increment_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=1440))
    service_fee_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    trust_fee_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    tasker_commission_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))


class HistoryArgsSchema(ApiSchema):
    category = slug()
    region = slug()
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class FieldChangeSchema(ApiSchema):
    old = fields.Integer(allow_none=True)
    new = fields.Integer()


class FloorHistorySchema(ApiSchema):
    category = fields.String()
    region = fields.String()
    version = fields.Integer()
    summary = fields.String()
    author = fields.String(metadata={"description": "Operators only"})
    reason = fields.String(metadata={"description": "Operators only"})
    created_at = fields.AwareDateTime()
    effective_from = fields.AwareDateTime()
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(FieldChangeSchema))


class ProposedFloorSchema(FloorChangeSchema):
    """A proposed change: the rule fields to try, for one category/region (or all, if omitted)."""

    class Meta:
        exclude = ("reason", "summary", "effective_from", "confirm")

    category = slug(load_default=None)
    region = slug(load_default=None)


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


# Examples for the API docs, one per request body (each loads cleanly: tests/unit/test_api_examples.py).
EXAMPLES = {
    FloorChangeSchema: {
        "hourly_floor": 2600,
        "reason": "Yearly review",
        "summary": "Yard work pays 26.00 USD/h from 1 January",
        "effective_from": "2030-01-01T00:00:00Z",
    },
    SimulateSchema: {"changes": [{"category": "yard-work", "region": "springfield", "hourly_floor": 2600}], "days": 30},
}
