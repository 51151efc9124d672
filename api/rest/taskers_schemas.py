"""Request and response shapes of the taskers API: skills and rates, reputation, licenses."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema
from api.rest.tasks_schemas import WaitingSchema
from events.fields import cents, slug
from pricing.rules import MAX_FLOOR_CENTS


class SkillSchema(ApiSchema):
    category = slug(required=True)
    rate = cents(
        at_most=MAX_FLOOR_CENTS,
        required=True,
        metadata={"description": "Your own rate, cents an hour; never below the floor"},
    )


class SkillsUpdateSchema(ApiSchema):
    regions = fields.List(slug(), required=True, validate=validate.Length(max=50))
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
    mentored = fields.List(
        fields.String(), metadata={"description": "Skilled categories opened to you by two mentors' endorsements"}
    )
    licensed = fields.List(fields.String())
    waiting = fields.Nested(WaitingSchema, metadata={"description": "What is not in your feed yet, and when it opens"})


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
    SkillsUpdateSchema: {"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2600}]},
    LicenseCreateSchema: {"category": "electrical", "note": "State licence 12345, checked by phone"},
}
