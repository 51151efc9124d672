"""Paying taskers: onboarding a payout account, and transfers of what the ledger owes, queued as
calls (marketplace/payments/calls.py) and recorded when Stripe answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import col, func, select

from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.errors import Forbidden
from marketplace.payments.calls import OPEN, CallAnswer, calls_made, open_calls, queue
from marketplace.payments.gateway import PaymentGateway
from marketplace.payments.ledger import balances, post
from marketplace.payments.models import (
    LedgerEntry,
    Payment,
    PaymentCall,
    PayoutAccount,
)
from marketplace.payments.status import emit_payment_event
from marketplace.tasks.models import Task


def pay_out(uow: UnitOfWork, task: Task, payment: Payment) -> bool:
    """Queue a transfer of what the tasker is owed on this task to their connected account, if
    they have one yet (otherwise it waits in `tasker_payable` until they onboard), and no transfer
    of the task is in flight. An upheld adjustment adds a second transfer, with its own key."""
    session = uow.session
    owed = balances(session, task.id).get("tasker_payable", 0)
    account = session.get(PayoutAccount, task.tasker_id) if task.tasker_id else None
    if owed <= 0 or account is None or open_calls(uow, task.id, "transfer"):
        return False
    made = calls_made(uow, task.id, "transfer")
    key = f"task-{task.id}-transfer" + (f"-{made + 1}" if made else "")
    return queue(
        uow, task.id, "transfer", "payout", key, amount=owed, currency=payment.currency, account_id=account.account_id
    )


def transferred(uow: UnitOfWork, done: CallAnswer) -> None:
    """Stripe made the transfer: the ledger moves it from payable to paid out."""
    session = uow.session
    payment = session.get_one(Payment, done.call.task_id)
    transfer_id, amount = str(done.answer["transfer_id"]), int(done.answer["amount"])
    payment.transfer_id, payment.amount_transferred = transfer_id, payment.amount_transferred + amount
    post(session, payment.task_id, "transfer", transfer_id, {"tasker_payable": -amount, "tasker_paid_out": amount})
    session.add(payment)
    emit_payment_event(uow, "transferred", payment.task_id, payment.intent_id, amount, transfer_id)


RETRY_REFUSED_AFTER = timedelta(days=1)  # a transfer Stripe refused (an account not ready) is asked again daily
PAGE = 100  # owed payouts queued per sweep


def pay_outstanding(uow: UnitOfWork, tasker_id: int | None = None, limit: int = PAGE) -> int:
    """Queue a transfer for up to `limit` tasks still owing their tasker, where the tasker now has
    an account and no transfer of the task is in flight or was refused in the last day; how
    many were queued. A bounded page each sweep: the sender works through them after commit."""
    now = utcnow()
    owing = (
        select(LedgerEntry.task_id)
        .where(col(LedgerEntry.account) == "tasker_payable")
        .group_by(col(LedgerEntry.task_id))
        .having(func.sum(col(LedgerEntry.amount)) > 0)
    )
    busy = select(PaymentCall.task_id).where(
        col(PaymentCall.operation) == "transfer",
        col(PaymentCall.status).in_(OPEN)
        | ((col(PaymentCall.status) == "failed") & (col(PaymentCall.created_at) > now - RETRY_REFUSED_AFTER)),
    )
    query = (
        select(Payment, Task)
        .join(Task, col(Task.id) == Payment.task_id)
        .where(col(Task.id).in_(owing), col(Task.id).not_in(busy))
        .join(PayoutAccount, col(PayoutAccount.tasker_id) == Task.tasker_id)
        .order_by(col(Task.id))
        .limit(limit)
    )
    if tasker_id is not None:
        query = query.where(col(Task.tasker_id) == tasker_id)
    return sum(pay_out(uow, task, payment) for payment, task in uow.session.exec(query).all())


def onboard_tasker(
    uow_factory: Callable[[], Any], gateway: PaymentGateway, tasker: User, refresh_url: str, return_url: str
) -> tuple[str, str]:
    """The tasker's connected account (created once; only its id is kept) and an onboarding link.
    Stripe is asked with no transaction open: the account's idempotency key is the tasker's, so
    two requests at once get one account, and the second insert finds the first."""
    if tasker.role != Role.tasker:
        raise Forbidden("Only taskers are paid out.")
    with uow_factory() as uow:
        known = uow.session.get(PayoutAccount, tasker.id)
        account_id = known.account_id if known else None
    if account_id is None:
        account_id = gateway.create_account(tasker.email, tasker.id)
        with uow_factory() as uow:
            insert_if_absent(uow.session, PayoutAccount, tasker_id=tasker.id, account_id=account_id)
            uow.commit()
    # A link is single-use and short-lived, so each request asks for a new one (its own key).
    link = gateway.onboarding_link(
        account_id, refresh_url, return_url, key=f"account-link-{tasker.id}-{utcnow().timestamp():.0f}"
    )
    return account_id, link
