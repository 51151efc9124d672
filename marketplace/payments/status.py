"""A payment's status changes, each announced on payments.events in the same unit of work."""

from __future__ import annotations

import logging

from events.payloads import PAYMENTS, by_kind
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.payments.models import (
    Payment,
)
from marketplace.tasks.shared_writes import note_payment_status

log = logging.getLogger(__name__)

_BY_KIND = by_kind(PAYMENTS)  # "captured": PaymentCaptured, ...


def emit_payment_event(
    uow: UnitOfWork,
    kind: str,
    task_id: int,
    intent_id: str,
    amount: int,
    reference: str = "",
    source: str = "api",
    stripe_event_id: str | None = None,
) -> None:
    event = _BY_KIND[kind](
        task_id=task_id,
        intent_id=intent_id,
        amount=amount,
        reference=reference,
        source=source,
        stripe_event_id=stripe_event_id,
        at=utcnow(),
    )
    uow.emit(event.event(subject=task_id), key=str(task_id))


def set_status(uow: UnitOfWork, payment: Payment, status: str, emit: bool = True, reference: str = "") -> None:
    payment.status, payment.updated_at = status, utcnow()
    uow.session.add(payment)
    note_payment_status(uow.session, payment.task_id, status)
    if emit and status in ("authorized", "failed", "captured", "released", "refunded"):
        amount = {"captured": payment.amount_captured, "refunded": payment.amount_refunded}.get(
            status, payment.amount_authorized
        )
        emit_payment_event(uow, status, payment.task_id, payment.intent_id, amount, reference or payment.intent_id)
