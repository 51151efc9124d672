"""Holding the client's card when they book, following the hold's status, and renewing holds before
Stripe lets them lapse."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.floors.models import Region
from marketplace.payments.gateway import PaymentDeclined
from marketplace.payments.models import (
    Payment,
    PaymentStatus,
    StripeCustomer,
)
from marketplace.payments.status import emit_payment_event, set_status
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.quotes import quotes_of


def currency_of(session: Session, task: Task) -> str:
    return session.get_one(Region, task.region).currency.lower()


def _customer(session: Session, gateway, user: User) -> str:
    row = session.get(StripeCustomer, user.id)
    if row is None:
        row = StripeCustomer(user_id=user.id, customer_id=gateway.customer(user.email, user.id))
        session.add(row)
    return row.customer_id


def book_task(
    uow, gateway, client: User, task_id: int, payment_method: str | None = None, token: str | None = None
) -> tuple[Payment, str | None]:
    """Put a hold on the client's card for the quoted total. A decline is recorded (the client
    can try another card) and the returned payment says `failed`, with the card's message.
    Returns the payment and, when the bank wants the client to confirm (3-D Secure), the
    PaymentIntent's client secret for Stripe.js; it is never stored."""
    session = uow.session
    task = session.get(Task, task_id)
    if task is None or task.client_id != client.id:
        raise NotFound(f"No task {task_id} of yours.")
    if task.status != TaskStatus.priced:
        raise Conflict(f"Only a priced task can be booked; this one is {task.status}.")
    payment = session.get(Payment, task_id)
    if payment is not None and payment.status not in (PaymentStatus.failed, PaymentStatus.pending):
        raise Conflict(f"Task {task_id} is already booked (payment {payment.status}).")
    if not payment_method and not token:
        raise Invalid("Give a card.", {"payment_method": ["Required."]})
    total = quotes_of(session, task_id)["posted"].total
    attempt = payment.attempt + 1 if payment else 1
    if payment is None:
        payment = Payment(
            task_id=task_id,
            client_id=client.id,
            intent_id="",
            status=PaymentStatus.pending,
            currency=currency_of(session, task),
        )
    payment.attempt, payment.amount_authorized, payment.failure_message = attempt, total, None
    payment.customer_id = _customer(session, gateway, client)
    try:
        payment.payment_method = gateway.save_card(
            payment.customer_id, payment_method, token, key=f"task-{task_id}-card-{attempt}"
        )
        intent = gateway.authorize(
            total,
            payment.currency,
            payment.customer_id,
            payment.payment_method,
            task_id,
            key=f"task-{task_id}-hold-{attempt}",
        )
    except PaymentDeclined as exc:
        payment.intent_id = exc.intent_id or payment.intent_id or f"declined-{task_id}-{attempt}"
        payment.failure_message = exc.message
        set_status(uow, payment, PaymentStatus.failed)
        return payment, None
    payment.intent_id = intent.id
    if intent.status == PaymentStatus.authorized:
        payment.authorized_at = utcnow()
    set_status(uow, payment, intent.status if intent.status in ("authorized", "pending", "failed") else "pending")
    return payment, intent.client_secret if payment.status == PaymentStatus.pending else None


def sync_payment(uow, gateway, task_id: int) -> Payment:
    """Read the hold back from Stripe (after the client's 3-D Secure step, say)."""
    payment = uow.session.get(Payment, task_id)
    if payment is None:
        raise NotFound(f"Task {task_id} has no payment yet.")
    intent = gateway.intent(payment.intent_id)
    if intent.status != payment.status and payment.status in (PaymentStatus.pending, PaymentStatus.authorized):
        if intent.status == PaymentStatus.authorized:
            payment.authorized_at = utcnow()
        payment.failure_message = intent.failure
        set_status(uow, payment, intent.status)
    return payment


def reauthorize_holds(uow, gateway, now: datetime, older_than_s: int) -> int:
    """A card hold lapses after about seven days. Renew each hold older than `older_than_s`
    whose task has not started: a new hold on the saved card, then release the old one."""
    session = uow.session
    stale = session.exec(
        select(Payment)
        .join(Task, col(Task.id) == Payment.task_id)
        .where(
            col(Payment.status) == PaymentStatus.authorized,
            col(Payment.authorized_at) < now - timedelta(seconds=older_than_s),
            col(Task.status).in_([TaskStatus.priced, TaskStatus.accepted]),
        )
    ).all()
    for payment in stale:
        old, payment.attempt = payment.intent_id, payment.attempt + 1
        try:
            intent = gateway.authorize(
                payment.amount_authorized,
                payment.currency,
                payment.customer_id,
                payment.payment_method,
                payment.task_id,
                key=f"task-{payment.task_id}-hold-{payment.attempt}",
                off_session=True,
            )
        except PaymentDeclined as exc:
            payment.failure_message = f"Renewing the hold failed: {exc.message}"
            set_status(uow, payment, PaymentStatus.failed)
            continue
        gateway.release(old, key=f"task-{payment.task_id}-release-{payment.attempt - 1}")
        payment.intent_id, payment.authorized_at = intent.id, now
        session.add(payment)
        emit_payment_event(uow, "authorized", payment.task_id, intent.id, payment.amount_authorized, f"renewed {old}")
    return len(stale)
