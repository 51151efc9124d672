"""Paying taskers: onboarding a payout account, and transfers of what the ledger owes (payments worker
only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import col, func, select

from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.errors import Forbidden
from marketplace.payments.gateway import PaymentGateway
from marketplace.payments.ledger import balances, post
from marketplace.payments.models import (
    LedgerEntry,
    Payment,
    PayoutAccount,
)
from marketplace.payments.status import emit_payment_event
from marketplace.tasks.models import Task


def pay_out(uow: UnitOfWork, gateway: PaymentGateway, task: Task, payment: Payment) -> None:
    """Transfer what the tasker is owed on this task to their connected account, if they have one
    yet (otherwise it waits in `tasker_payable` until they onboard). An upheld adjustment adds a
    second transfer, with its own idempotency key."""
    owed = balances(uow.session, task.id).get("tasker_payable", 0)
    account = uow.session.get(PayoutAccount, task.tasker_id) if task.tasker_id else None
    if owed <= 0 or account is None:
        return
    done = uow.session.exec(
        select(func.count()).where(
            col(LedgerEntry.task_id) == task.id,
            col(LedgerEntry.posting) == "transfer",
            col(LedgerEntry.account) == "tasker_paid_out",
        )
    ).one()
    key = f"task-{task.id}-transfer" + (f"-{done + 1}" if done else "")
    transfer = gateway.transfer(owed, payment.currency, account.account_id, task.id, key=key)
    payment.transfer_id, payment.amount_transferred = transfer.id, payment.amount_transferred + owed
    post(uow.session, task.id, "transfer", transfer.id, {"tasker_payable": -owed, "tasker_paid_out": owed})
    uow.session.add(payment)
    emit_payment_event(uow, "transferred", task.id, payment.intent_id, owed, transfer.id)


def pay_outstanding(uow: UnitOfWork, gateway: PaymentGateway, tasker_id: int | None = None) -> int:
    """Pay every task still owing its tasker, where the tasker now has an account."""
    owing = (
        select(LedgerEntry.task_id)
        .where(col(LedgerEntry.account) == "tasker_payable")
        .group_by(col(LedgerEntry.task_id))
        .having(func.sum(col(LedgerEntry.amount)) > 0)
    )
    query = (
        select(Payment, Task)
        .join(Task, col(Task.id) == Payment.task_id)
        .where(col(Task.id).in_(owing))
        .join(PayoutAccount, col(PayoutAccount.tasker_id) == Task.tasker_id)
    )
    if tasker_id is not None:
        query = query.where(col(Task.tasker_id) == tasker_id)
    paid = 0
    for payment, task in uow.session.exec(query).all():
        before = payment.amount_transferred
        pay_out(uow, gateway, task, payment)
        paid += payment.amount_transferred > before
    return paid


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
