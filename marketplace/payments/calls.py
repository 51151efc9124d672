"""Calls to Stripe as rows: `queue` writes one in the caller's unit of work; the payment-calls
sender (marketplace/payments/sender.py, on the one design of marketplace/outgoing.py) makes it
after commit and hands the answer to the step named by the row's `purpose`.

A call's idempotency key names the task and the step, so a row written twice (a redelivered
event) is written once, and a call repeated after a crash is the same call to Stripe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, func, select

from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.payments.models import PaymentCall

OPEN = ("pending", "sending")


@dataclass(frozen=True)
class CallAnswer:
    """What the record step of a purpose reads: the row's arguments and Stripe's answer."""

    call: PaymentCall
    arguments: dict[str, Any]
    answer: dict[str, Any]

    @classmethod
    def of(cls, call: PaymentCall, answer: dict[str, Any]) -> CallAnswer:
        return cls(call, json.loads(call.arguments), answer)


def queue(uow: UnitOfWork, task_id: int, operation: str, purpose: str, key: str, **arguments: Any) -> bool:
    """A call to make after commit (the payment-calls sender is woken then); False if a call with
    this key is already written."""
    uow.wake_on_commit(PaymentCall.__tablename__)
    return insert_if_absent(
        uow.session,
        PaymentCall,
        task_id=task_id,
        operation=operation,
        purpose=purpose,
        key=key,
        arguments=json.dumps(arguments, sort_keys=True),
        answer="",
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
        created_at=utcnow(),
    )


def open_calls(uow: UnitOfWork, task_id: int, operation: str | None = None) -> int:
    query = select(func.count()).where(col(PaymentCall.task_id) == task_id, col(PaymentCall.status).in_(OPEN))
    if operation is not None:
        query = query.where(col(PaymentCall.operation) == operation)
    return int(uow.session.exec(query).one())


def calls_made(uow: UnitOfWork, task_id: int, operation: str) -> int:
    return int(
        uow.session.exec(
            select(func.count()).where(col(PaymentCall.task_id) == task_id, col(PaymentCall.operation) == operation)
        ).one()
    )


def open_call_count(uow: UnitOfWork) -> int:
    """Calls not answered yet, of every task (pending or in flight)."""
    return int(uow.session.exec(select(func.count()).where(col(PaymentCall.status).in_(OPEN))).one())
