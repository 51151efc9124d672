"""Stripe's webhooks, verified by the API, applied here once per event id."""

from __future__ import annotations

import logging

from sqlmodel import col, select

from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.payments.gateway import INTENT_STATES
from marketplace.payments.models import (
    Payment,
    PaymentStatus,
    StripeEventSeen,
)
from marketplace.payments.status import emit_payment_event, set_status
from marketplace.tasks.models import Task

log = logging.getLogger(__name__)

WEBHOOK_KINDS = {
    "payment_intent.amount_capturable_updated": "authorized",
    "payment_intent.succeeded": "captured",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "released",
    "charge.refunded": "refunded",
    "transfer.created": "transferred",
}


def _task_of(session, obj: dict) -> int | None:
    """The task a Stripe object's metadata names, if it is one of ours. Stripe's metadata is free
    text: anything that is not the id of an existing task is nothing of ours."""
    metadata = obj.get("metadata")
    raw = metadata.get("task_id") if isinstance(metadata, dict) else None
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**31:
        return None
    return int(raw) if session.get(Task, int(raw)) is not None else None


def handle_webhook(uow: UnitOfWork, event: dict) -> bool:
    """Apply a verified Stripe event once: False if it was seen before (a redelivery)."""
    session = uow.session
    # The insert decides, so two deliveries of one event racing each other apply it once.
    if not insert_if_absent(session, StripeEventSeen, event_id=event["id"], type=event["type"], received_at=utcnow()):
        return False
    kind = WEBHOOK_KINDS.get(event["type"])
    obj = event["data"]["object"]
    if kind is None:
        return True
    intent_id = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
    intent_id = intent_id if isinstance(intent_id, str) and 0 < len(intent_id) <= 255 else None
    amount = obj.get("amount")
    amount = amount if isinstance(amount, int) and not isinstance(amount, bool) and 0 <= amount < 2**53 else 0
    object_id = obj.get("id") if isinstance(obj.get("id"), str) else ""
    payment = session.exec(select(Payment).where(col(Payment.intent_id) == intent_id)).first() if intent_id else None
    task_id = payment.task_id if payment else _task_of(session, obj)
    if not task_id:
        log.info("stripe event %s (%s) is about nothing of ours", event["id"], event["type"])
        return True
    if payment is not None and obj.get("object") == "payment_intent":
        status = INTENT_STATES.get(obj.get("status"))
        if (
            status in (PaymentStatus.authorized, PaymentStatus.failed, PaymentStatus.released)
            and payment.status in (PaymentStatus.pending, PaymentStatus.authorized)
            and status != payment.status
        ):
            error = obj.get("last_payment_error")
            message = error.get("message") if isinstance(error, dict) else None
            payment.failure_message = message[:500] if isinstance(message, str) else None
            if status == PaymentStatus.authorized:
                payment.authorized_at = utcnow()
            set_status(uow, payment, status, emit=False)
    emit_payment_event(uow, kind, task_id, intent_id or "", amount, object_id[:255], "webhook", event["id"])
    return True
