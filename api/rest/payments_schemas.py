"""Request and response shapes of the payments API: booking, refunds, payout accounts."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema
from api.rest.tasks_schemas import TaskSchema


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


# Examples for the API docs, one per request body (each loads cleanly: tests/unit/test_api_examples.py).
EXAMPLES = {
    BookSchema: {"payment_method": "pm_card_visa"},
    RefundCreateSchema: {"amount": 1500, "reason": "The tasker arrived an hour late"},
}
