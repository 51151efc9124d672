"""Payments over the API: a client books (a card hold), an operator refunds, a tasker onboards a
payout account; and Stripe's webhooks, verified by signature, at POST /webhooks/stripe."""

from __future__ import annotations

import logging

from flask import Blueprint as FlaskBlueprint
from flask import g, jsonify, request
from flask.views import MethodView

from api.auth import SECURITY, requires
from api.input import Blueprint
from api.platform import platform, unit_of_work
from api.rest.payments_schemas import EXAMPLES, BookingSchema, BookSchema, PayoutAccountSchema, RefundCreateSchema
from api.rest.tasks import task_view
from api.rest.tasks_schemas import TaskSchema
from marketplace.errors import PaymentDeclined
from marketplace.payments.holds import book_task
from marketplace.payments.models import PayoutAccount
from marketplace.payments.payouts import onboard_tasker
from marketplace.payments.settlement import refund
from marketplace.payments.webhooks import handle_webhook
from marketplace.tasks.models import Task

log = logging.getLogger(__name__)
blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Card holds, refunds and payouts")
webhooks = FlaskBlueprint("webhooks", __name__)


def gateway():
    return platform().gateway


def book(task_id: int, payment_method: str | None = None, token: str | None = None) -> dict:
    """Book for the signed-in client; a declined card is a 402 with the card's message."""
    payment, client_secret = book_task(unit_of_work, gateway(), g.user, task_id, payment_method, token)
    if payment.is_failed:
        raise PaymentDeclined(
            payment.failure_message or "Your card was declined.",
            {"payment_method": [payment.failure_message or "Declined."]},
        )
    with unit_of_work() as unit:
        return {"task": task_view(unit.session, unit.session.get_one(Task, task_id)), "client_secret": client_secret}


@blp.route("/tasks/<int:task_id>/book")
class Book(MethodView):
    @requires("client")
    @blp.arguments(BookSchema, example=EXAMPLES[BookSchema])
    @blp.response(200, BookingSchema)
    @blp.alt_response(402, description="The card was declined: try another")
    @blp.doc(security=SECURITY)
    def post(self, data, task_id: int):
        """Book a priced task: hold the quoted total on the card (captured on completion). The task
        is offered to taskers once the hold is authorized"""
        return book(task_id, payment_method=data["payment_method"])


@blp.route("/tasks/<int:task_id>/refunds")
class Refunds(MethodView):
    @requires("operator")
    @blp.arguments(RefundCreateSchema, example=EXAMPLES[RefundCreateSchema])
    @blp.response(201, TaskSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, task_id: int):
        """Operators: refund a captured payment, wholly or in part, with a reason"""
        refund(unit_of_work, gateway(), g.user, task_id, data["amount"], data["reason"])
        with unit_of_work() as unit:
            return task_view(unit.session, unit.session.get_one(Task, task_id))


@blp.route("/taskers/me/payouts")
class Payouts(MethodView):
    @requires("tasker")
    @blp.response(200, PayoutAccountSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Your payout account, if you have onboarded one"""
        with unit_of_work() as unit:
            account = unit.session.get(PayoutAccount, g.user.id)
            return {"account_id": account.account_id if account else None, "onboarding_url": None}

    @requires("tasker")
    @blp.response(201, PayoutAccountSchema)
    @blp.doc(security=SECURITY)
    def post(self):
        """Create your connected account (once) and get a Stripe onboarding link. Anything you are
        already owed is transferred by the payments worker within a minute of the account existing

        Stripe sends you back to your earnings page on this site's public address
        (FLOORBOARD_PUBLIC_URL), never to the address the request named."""
        back = f"{platform().settings.public_url}/me/earnings?onboarding="  # never the Host header: anyone sends one
        account_id, link = onboard_tasker(unit_of_work, gateway(), g.user, back + "expired", back + "done")
        return {"account_id": account_id, "onboarding_url": link}


def well_formed(event) -> bool:
    data = event.get("data") if isinstance(event, dict) else None
    return (
        isinstance(event.get("id"), str)
        and 0 < len(event["id"]) <= 255
        and isinstance(event.get("type"), str)
        and len(event["type"]) <= 100
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    )


@webhooks.post("/webhooks/stripe")
def stripe_webhook():
    """Verified by the SDK against STRIPE_WEBHOOK_SECRET; each event id is applied once."""
    try:
        event = gateway().verify_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except ValueError as exc:
        return jsonify({"code": 400, "status": "Bad Request", "message": str(exc)}), 400
    if not well_formed(event):
        # Signed, yet not the shape of a Stripe event: acknowledge it so Stripe does not retry it forever.
        log.warning("a signed Stripe webhook is malformed and was ignored: %.200r", event)
        return jsonify({"received": None, "ignored": "malformed event"})
    with unit_of_work() as unit:
        fresh = handle_webhook(unit, event)
        unit.commit()
    return jsonify({"received": event["id"], "duplicate": not fresh})
