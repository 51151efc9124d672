"""The payment-calls channel: makes the Stripe calls the payments worker queued
(marketplace/payments/calls.py) on the one leased sender design (marketplace/outgoing.py), and
hands each answer to the step its purpose names, in the unit of work that marks the call sent.

Stripe keeps an idempotency key for 24 hours. A call is repeated only when its sender died
between the call and the record (the lease ran out); a capture or a release asks the intent's
state first, and a transfer looks for a transfer already made with its key, so a repeat after
Stripe forgot the key changes nothing either."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, update

from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.outgoing import Answered, Outcome, Refused, Unreachable, default_retry_at
from marketplace.payments.calls import CallAnswer
from marketplace.payments.gateway import GatewayError, PaymentDeclined, PaymentGateway
from marketplace.payments.holds import renewed
from marketplace.payments.models import Payment, PaymentCall, PaymentStatus
from marketplace.payments.payouts import transferred
from marketplace.payments.settlement import (
    adjustment_charged,
    cancellation_fee_captured,
    cancellation_released,
    completion_captured,
    completion_extra_charged,
)

Step = Callable[[UnitOfWork, CallAnswer], None]

# What follows each answer, by the purpose the call was queued for.
STEPS: dict[str, Step] = {
    "completion": completion_captured,
    "completion-extra": completion_extra_charged,
    "adjustment": adjustment_charged,
    "cancellation-fee": cancellation_fee_captured,
    "cancellation": cancellation_released,
    "renewal": renewed,
    "renewal-release": lambda uow, done: None,  # the old hold is gone: nothing to record
    "payout": transferred,
}

# An extra charge Stripe refuses (a card removed since, say) settles like a declined one: the
# capture before it is booked at the booked amount, and the tasker is paid that.
REFUSED_AS_DECLINED = frozenset({"completion-extra", "adjustment"})


def _capture(gateway: PaymentGateway, row: PaymentCall, a: dict[str, Any]) -> dict[str, Any]:
    if row.attempts > 1 and gateway.intent(a["intent_id"]).status == PaymentStatus.captured:
        return {"already": True}
    gateway.capture(a["intent_id"], int(a["amount"]), key=row.key)
    return {}


def _release(gateway: PaymentGateway, row: PaymentCall, a: dict[str, Any]) -> dict[str, Any]:
    if row.attempts > 1 and gateway.intent(a["intent_id"]).status == PaymentStatus.released:
        return {"already": True}
    gateway.release(a["intent_id"], key=row.key)
    return {}


def _charge(gateway: PaymentGateway, row: PaymentCall, a: dict[str, Any]) -> dict[str, Any]:
    intent = gateway.charge(int(a["amount"]), a["currency"], a["customer"], a["payment_method"], row.task_id, row.key)
    return {"intent_id": intent.id, "status": intent.status}


def _authorize(gateway: PaymentGateway, row: PaymentCall, a: dict[str, Any]) -> dict[str, Any]:
    intent = gateway.authorize(
        int(a["amount"]), a["currency"], a["customer"], a["payment_method"], row.task_id, row.key, off_session=True
    )
    return {"intent_id": intent.id, "status": intent.status}


def _transfer(gateway: PaymentGateway, row: PaymentCall, a: dict[str, Any]) -> dict[str, Any]:
    made = gateway.find_transfer(row.task_id, row.key) if row.attempts > 1 else None
    if made is None:
        made = gateway.transfer(int(a["amount"]), a["currency"], a["account_id"], row.task_id, key=row.key)
    return {"transfer_id": made.id, "amount": made.amount}


OPERATIONS: dict[str, Callable[[PaymentGateway, PaymentCall, dict[str, Any]], dict[str, Any]]] = {
    "capture": _capture,
    "release": _release,
    "charge": _charge,
    "authorize": _authorize,
    "transfer": _transfer,
}


class PaymentCalls:
    """The channel of marketplace/outgoing.py for Stripe."""

    name = "stripe"
    model = PaymentCall

    def __init__(self, gateway: PaymentGateway):
        self.gateway = gateway

    def connection(self):
        return nullcontext()

    def call(self, row: PaymentCall, connection: Any) -> Outcome:
        operation = OPERATIONS.get(row.operation)
        if operation is None or row.purpose not in STEPS:
            return Refused(f"Unknown call {row.operation}/{row.purpose}.")
        try:
            return Answered(operation(self.gateway, row, json.loads(row.arguments)))
        except PaymentDeclined as exc:  # the card's answer: the step records it
            return Answered({"declined": exc.message, "intent_id": exc.intent_id})
        except GatewayError as exc:
            if exc.temporary:
                raise Unreachable(exc.message) from exc
            return Refused(f"Stripe refused it: {exc.message}")

    def record(self, uow: UnitOfWork, row: PaymentCall, outcome: Outcome) -> None:
        if isinstance(outcome, Answered):
            answer = dict(outcome.answer or {})
            uow.session.exec(
                update(PaymentCall)
                .where(col(PaymentCall.id) == row.id)
                .values(answer=json.dumps(answer, sort_keys=True), answered_at=utcnow())
            )
            STEPS[row.purpose](uow, CallAnswer.of(row, answer))
        elif isinstance(outcome, Refused):
            if row.purpose in REFUSED_AS_DECLINED:  # the booked amount stands, as for a decline
                STEPS[row.purpose](uow, CallAnswer.of(row, {"declined": outcome.reason}))
                return
            payment = uow.session.get(Payment, row.task_id)
            if payment is not None:  # shown to operators and reported by `floorboard audit`
                payment.failure_message = f"Stripe refused the {row.operation} ({row.purpose}): {outcome.reason}"[:500]
                uow.session.add(payment)

    def retry_at(self, row: PaymentCall, now: datetime) -> datetime | None:
        return default_retry_at(row, now, timedelta(days=3), timedelta(seconds=15), timedelta(hours=1))
