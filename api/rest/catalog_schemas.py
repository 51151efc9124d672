"""Request and response shapes of the catalog: categories, and a quote before posting."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema
from events.fields import minutes, offered_rate, slug


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


class QuoteRequestSchema(ApiSchema):
    category = slug(required=True)
    region = slug(required=True)
    estimated_minutes = minutes(required=True)
    offered_rate = offered_rate(load_default=None)


# Examples for the API docs, one per request body (each loads cleanly: tests/unit/test_api_examples.py).
EXAMPLES = {
    QuoteRequestSchema: {
        "category": "yard-work",
        "region": "springfield",
        "estimated_minutes": 90,
        "offered_rate": 2800,
    },
}
