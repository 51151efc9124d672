"""Holding the client's card when they book, following the hold's status, and renewing holds before
Stripe lets them lapse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.floors.models import Region
from marketplace.payments.calls import OPEN, CallAnswer, queue
from marketplace.payments.gateway import GatewayError, Intent, PaymentDeclined, PaymentGateway
from marketplace.payments.models import (
    Payment,
    PaymentCall,
    PaymentStatus,
    StripeCustomer,
)
from marketplace.payments.status import emit_payment_event, set_status
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.quotes import quotes_of
from marketplace.tasks.transitions import Action, target

# A booking's attempt recorded this recently, and not yet answered, is still in flight: a second
# request waits for it. Older, it was lost (the process died while Stripe answered), and the next
# request asks again with the same keys.
IN_FLIGHT = timedelta(seconds=60)
UNANSWERED = "The payment service did not answer; try again."


def currency_of(session: Session, task: Task) -> str:
    return session.get_one(Region, task.region).currency.lower()


@dataclass(frozen=True)
class HoldRequest:
    """What a booking asks Stripe for, recorded before any call: the attempt number makes the
    idempotency keys, so a booking whose answer was lost asks again with the same keys."""

    task_id: int
    client_id: int
    email: str
    attempt: int
    amount: int
    currency: str
    customer_id: str | None  # None: the client has no Stripe customer yet
    payment_method: str | None
    token: str | None


@dataclass(frozen=True)
class HoldAnswer:
    customer_id: str
    payment_method: str | None = None
    intent: Intent | None = None
    declined: PaymentDeclined | None = None


def request_hold(
    uow: UnitOfWork, client: User, task_id: int, payment_method: str | None = None, token: str | None = None
) -> HoldRequest:
    """Step 1, in a unit of work: check the booking may go ahead and record the attempt."""
    session = uow.session
    task = session.get(Task, task_id)
    if task is None or task.client_id != client.id:
        raise NotFound(f"No task {task_id} of yours.")
    target(task.status, Action.book)  # a Conflict unless the task is priced
    payment = session.get(Payment, task_id)
    if payment is not None and payment.status not in (PaymentStatus.failed, PaymentStatus.pending):
        raise Conflict(f"Task {task_id} is already booked (payment {payment.status}).")
    if not payment_method and not token:
        raise Invalid("Give a card.", {"payment_method": ["Required."]})
    total = quotes_of(session, task_id)["posted"].total
    if payment is None:
        payment = Payment(
            task_id=task_id,
            client_id=client.id,
            intent_id="",
            status=PaymentStatus.pending,
            currency=currency_of(session, task),
            attempt=0,
        )
    unanswered = payment.status == PaymentStatus.pending and not payment.intent_id and payment.attempt > 0
    if unanswered and payment.failure_message is None and payment.updated_at > utcnow() - IN_FLIGHT:
        # Another request (a second tab, a double click) is asking Stripe right now.
        raise Conflict(f"Task {task_id} is being booked right now: wait for that answer.")
    if not unanswered:  # a new attempt (a first booking, another card after a decline or a 3-D Secure step)
        payment.attempt += 1
        payment.intent_id = ""
    payment.amount_authorized, payment.failure_message = total, None
    set_status(uow, payment, PaymentStatus.pending)
    known = session.get(StripeCustomer, client.id)
    return HoldRequest(
        task_id=task_id,
        client_id=client.id,
        email=client.email,
        attempt=payment.attempt,
        amount=total,
        currency=payment.currency,
        customer_id=known.customer_id if known else None,
        payment_method=payment_method,
        token=token,
    )


def place_hold(gateway: PaymentGateway, request: HoldRequest) -> HoldAnswer:
    """Step 2, with no transaction open: ask Stripe. A decline is an answer; an outage raises
    GatewayError (temporary), and the same request can be placed again with the same keys."""
    customer = request.customer_id or gateway.customer(request.email, request.client_id)
    key = f"task-{request.task_id}"
    try:
        method = gateway.save_card(customer, request.payment_method, request.token, key=f"{key}-card-{request.attempt}")
        intent = gateway.authorize(
            request.amount, request.currency, customer, method, request.task_id, key=f"{key}-hold-{request.attempt}"
        )
    except PaymentDeclined as exc:
        return HoldAnswer(customer_id=customer, declined=exc)
    return HoldAnswer(customer_id=customer, payment_method=method, intent=intent)


def record_hold(uow: UnitOfWork, request: HoldRequest, answer: HoldAnswer) -> tuple[Payment, str | None]:
    """Step 3, in a unit of work: keep Stripe's answer. An answer to an attempt the payment has
    moved past (another request answered first) changes nothing."""
    session = uow.session
    if session.get(StripeCustomer, request.client_id) is None:
        session.add(StripeCustomer(user_id=request.client_id, customer_id=answer.customer_id))
    payment = session.get_one(Payment, request.task_id)
    if payment.attempt != request.attempt or payment.status != PaymentStatus.pending or payment.intent_id:
        return payment, None
    payment.customer_id = answer.customer_id
    if answer.declined is not None:
        payment.intent_id = (
            answer.declined.intent_id or payment.intent_id or f"declined-{request.task_id}-{request.attempt}"
        )
        payment.failure_message = answer.declined.message
        set_status(uow, payment, PaymentStatus.failed)
        return payment, None
    assert answer.intent is not None  # an answer is a decline or an intent
    intent = answer.intent
    payment.payment_method, payment.intent_id = answer.payment_method, intent.id
    if intent.status == PaymentStatus.authorized:
        payment.authorized_at = utcnow()
    set_status(uow, payment, intent.status if intent.status in ("authorized", "pending", "failed") else "pending")
    return payment, intent.client_secret if payment.status == PaymentStatus.pending else None


def book_task(
    uow_factory: Callable[[], Any],
    gateway: PaymentGateway,
    client: User,
    task_id: int,
    payment_method: str | None = None,
    token: str | None = None,
) -> tuple[Payment, str | None]:
    """Put a hold on the client's card for the quoted total, in three steps so that no
    transaction is open while Stripe is asked: record the attempt, ask, record the answer. A
    decline is recorded (the client can try another card) and the returned payment says
    `failed`, with the card's message. Returns the payment and, when the bank wants the client
    to confirm (3-D Secure), the PaymentIntent's client secret for Stripe.js; it is never stored."""
    with uow_factory() as uow:
        request = request_hold(uow, client, task_id, payment_method, token)
        uow.commit()
    try:
        answer = place_hold(gateway, request)
    except GatewayError:
        with uow_factory() as uow:  # not in flight any more: the client may try again at once
            _unanswered(uow, request)
            uow.commit()
        raise
    with uow_factory() as uow:
        payment, secret = record_hold(uow, request, answer)
        uow.commit()
    return payment, secret


def _unanswered(uow: UnitOfWork, request: HoldRequest) -> None:
    payment = uow.session.get_one(Payment, request.task_id)
    if payment.attempt == request.attempt and payment.status == PaymentStatus.pending and not payment.intent_id:
        payment.failure_message = UNANSWERED
        uow.session.add(payment)


def sync_payment(uow_factory: Callable[[], Any], gateway: PaymentGateway, task_id: int) -> Payment:
    """Read the hold back from Stripe (after the client's 3-D Secure step, say), with no
    transaction open while Stripe answers."""
    with uow_factory() as uow:
        payment = uow.session.get(Payment, task_id)
        if payment is None:
            raise NotFound(f"Task {task_id} has no payment yet.")
        intent_id = payment.intent_id
    intent = gateway.intent(intent_id) if intent_id else None
    with uow_factory() as uow:
        payment = uow.session.get_one(Payment, task_id)
        if (
            intent is not None
            and payment.intent_id == intent_id
            and intent.status != payment.status
            and payment.status in (PaymentStatus.pending, PaymentStatus.authorized)
        ):
            if intent.status == PaymentStatus.authorized:
                payment.authorized_at = utcnow()
            payment.failure_message = intent.failure
            set_status(uow, payment, intent.status)
        uow.commit()
    return payment


def reauthorize_holds(uow: UnitOfWork, now: datetime, older_than_s: int, limit: int = 100) -> int:
    """A card hold lapses after about seven days. For up to `limit` holds older than
    `older_than_s` whose task has not started, and that no renewal is under way for (or was
    refused in the last day), queue a new hold on the saved card; `renewed` releases the old one
    once Stripe answers. How many were queued."""
    session = uow.session
    busy = select(PaymentCall.task_id).where(
        col(PaymentCall.operation) == "authorize",
        col(PaymentCall.status).in_(OPEN)
        | ((col(PaymentCall.status) == "failed") & (col(PaymentCall.created_at) > now - timedelta(days=1))),
    )
    stale = session.exec(
        select(Payment)
        .join(Task, col(Task.id) == Payment.task_id)
        .where(
            col(Payment.status) == PaymentStatus.authorized,
            col(Payment.authorized_at) < now - timedelta(seconds=older_than_s),
            col(Task.status).in_([TaskStatus.priced, TaskStatus.accepted]),
            col(Payment.task_id).not_in(busy),
        )
        .order_by(col(Payment.task_id))
        .limit(limit)
    ).all()
    for payment in stale:
        payment.attempt += 1
        session.add(payment)
        queue(
            uow,
            payment.task_id,
            "authorize",
            "renewal",
            f"task-{payment.task_id}-hold-{payment.attempt}",
            amount=payment.amount_authorized,
            currency=payment.currency,
            customer=payment.customer_id,
            payment_method=payment.payment_method,
            old_intent=payment.intent_id,
            attempt=payment.attempt,
        )
    return len(stale)


def renewed(uow: UnitOfWork, done: CallAnswer) -> None:
    """Stripe answered a renewal: the new hold replaces the old one, which is released; a hold
    moved on meanwhile (captured, released) keeps its state, and the new hold is released."""
    payment = uow.session.get_one(Payment, done.call.task_id)
    old, attempt = str(done.arguments["old_intent"]), int(done.arguments["attempt"])
    current = payment.status == PaymentStatus.authorized and payment.intent_id == old
    if "declined" in done.answer:
        if current:
            payment.failure_message = f"Renewing the hold failed: {done.answer['declined']}"
            set_status(uow, payment, PaymentStatus.failed)
        return
    new = str(done.answer["intent_id"])
    if not current:
        queue(
            uow,
            payment.task_id,
            "release",
            "renewal-release",
            f"task-{payment.task_id}-release-{attempt}",
            intent_id=new,
        )
        return
    queue(
        uow,
        payment.task_id,
        "release",
        "renewal-release",
        f"task-{payment.task_id}-release-{attempt - 1}",
        intent_id=old,
    )
    payment.intent_id, payment.authorized_at = new, utcnow()
    uow.session.add(payment)
    emit_payment_event(uow, "authorized", payment.task_id, new, payment.amount_authorized, f"renewed {old}")
