"""Request and response shapes of the taskers API: skills and rates, reputation, licenses."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from api.input import ApiSchema
from api.rest.tasks_schemas import WaitingSchema
from events.fields import cents, slug
from pricing.rules import MAX_FLOOR_CENTS


class RegionRateSchema(ApiSchema):
    region = slug(required=True)
    rate = cents(
        at_most=MAX_FLOOR_CENTS,
        required=True,
        metadata={"description": "Your own rate in this region, cents an hour; never below its floor"},
    )


def _each_region_once(rates: list[dict]) -> None:
    regions = [r["region"] for r in rates]
    if len(set(regions)) != len(regions):
        raise ValidationError("Give each region's rate once.")


def region_rates() -> fields.List:
    return fields.List(
        fields.Nested(RegionRateSchema),
        load_default=list,
        validate=[validate.Length(max=50), _each_region_once],
        metadata={
            "description": "Rates of their own in some of your regions (where a floor is higher, or you ask "
            "more or less there); a region left out takes `rate`"
        },
    )


class SkillSchema(ApiSchema):
    category = slug(required=True)
    rate = cents(
        at_most=MAX_FLOOR_CENTS,
        required=True,
        metadata={
            "description": "Your own rate, cents an hour, in every region without one of its own; never below "
            "the floor of any of them"
        },
    )
    region_rates = region_rates()


class SkillsUpdateSchema(ApiSchema):
    regions = fields.List(slug(), required=True, validate=validate.Length(max=50))
    skills = fields.List(fields.Nested(SkillSchema), required=True, validate=validate.Length(max=50))


class SkillUpdateSchema(ApiSchema):
    rate = cents(
        at_most=MAX_FLOOR_CENTS,
        required=True,
        metadata={"description": "Your own rate, cents an hour, in every region without one of its own"},
    )
    region_rates = region_rates()


class RegionRateViewSchema(ApiSchema):
    region = fields.String()
    rate = fields.Integer(metadata={"description": "The rate that applies in this region, cents an hour"})
    floor = fields.Integer(allow_none=True)
    chosen = fields.Boolean(metadata={"description": "You set this region's rate (not the skill's rate)"})
    raised_from = fields.Integer(
        allow_none=True, metadata={"description": "Set when a floor rise raised your rate here: your own rate here"}
    )
    raised_at = fields.AwareDateTime(allow_none=True)


class SkillViewSchema(ApiSchema):
    category = fields.String()
    rate = fields.Integer(metadata={"description": "Your rate in every region without one of its own"})
    level = fields.String()
    unlocked = fields.Boolean()
    floor = fields.Integer(
        allow_none=True, metadata={"description": "The highest floor among the regions where `rate` applies"}
    )
    rates = fields.List(fields.Nested(RegionRateViewSchema), metadata={"description": "Per region of yours"})


class SkillsViewSchema(ApiSchema):
    regions = fields.List(fields.String())
    skills = fields.List(fields.Nested(SkillViewSchema))
    skilled_unlocked = fields.Boolean()
    mentored = fields.List(
        fields.String(), metadata={"description": "Skilled categories opened to you by two mentors' endorsements"}
    )
    licensed = fields.List(fields.String())
    waiting = fields.Nested(WaitingSchema, metadata={"description": "What is not in your feed yet, and when it opens"})


class RateChangeSchema(ApiSchema):
    category = fields.String()
    region = fields.String(allow_none=True, metadata={"description": "null: the skill's rate"})
    from_ = fields.Integer(data_key="from", attribute="from", allow_none=True)
    to = fields.Integer(allow_none=True)
    lifted = fields.Boolean(metadata={"description": "Lifted to the floor of a region you added"})


class ChangesSchema(ApiSchema):
    skills_added = fields.List(fields.String())
    skills_removed = fields.List(fields.String())
    regions_added = fields.List(fields.String())
    regions_removed = fields.List(fields.String())
    rates = fields.List(fields.Nested(RateChangeSchema), metadata={"description": "Each rate that changed"})
    summary = fields.List(fields.String(), metadata={"description": "The same, in sentences"})


class SkillsChangedSchema(SkillsViewSchema):
    changed = fields.Nested(ChangesSchema, metadata={"description": "What this request changed (or replaced)"})


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
    late_handoffs = fields.Integer(
        metadata={"description": "Hand-offs less than 24 h before the start (half a cancellation)"}
    )
    handoffs_completed = fields.Integer(metadata={"description": "Tasks handed on that the peer completed (karma)"})


class ReputationSchema(ApiSchema):
    id = fields.Integer()
    display_name = fields.String()
    tier = fields.String()
    score = fields.Integer()
    completed = fields.Integer()
    levels = fields.List(fields.String())
    licensed_categories = fields.List(fields.String())
    mentored_categories = fields.List(
        fields.String(), metadata={"description": "Skilled categories opened by two mentors' endorsements"}
    )
    connections = fields.Integer(metadata={"description": "How many taskers they are connected with"})
    categories = fields.List(fields.Nested(CategoryReputationSchema))


class LicenseCreateSchema(ApiSchema):
    category = slug(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=300))


class LicenseSchema(ApiSchema):
    tasker_id = fields.Integer()
    category = fields.String()
    verified_by = fields.Integer()
    note = fields.String()
    verified_at = fields.AwareDateTime()


# Examples for the API docs, one per request body (each loads cleanly: tests/unit/test_api_examples.py).
EXAMPLES = {
    SkillsUpdateSchema: {
        "regions": ["springfield", "seattle"],
        "skills": [{"category": "yard-work", "rate": 2600, "region_rates": [{"region": "seattle", "rate": 2700}]}],
    },
    SkillUpdateSchema: {"rate": 2600, "region_rates": [{"region": "seattle", "rate": 2700}]},
    LicenseCreateSchema: {"category": "electrical", "note": "State licence 12345, checked by phone"},
}
