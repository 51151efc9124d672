"""Payments: hold the card when the client books, capture on completion (never more than was
held), release or capture the cancellation fee, refund, pay the tasker by transfer, renew holds
before they lapse, and learn from Stripe's webhooks. Every step writes its ledger posting and its
`payments.events` event in the same transaction as the payment's new state.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, func, select

from events.envelope import CloudEvent
from events.sqltypes import utcnow
from marketplace.db import insert_if_absent
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.ledger import balances, post
from marketplace.models import (
    Adjustment,
    AdjustmentStatus,
    LedgerEntry,
    Payment,
    PaymentStatus,
    PayoutAccount,
    Quote,
    Region,
    Role,
    StripeCustomer,
    StripeEventSeen,
    Task,
    TaskStatus,
    User,
)
from marketplace.stripe_gateway import INTENT_STATES, PaymentDeclined
from marketplace.task_flow import quotes_of
from pricing import Quote as PriceQuote

log = logging.getLogger(__name__)

WEBHOOK_KINDS = {
    "payment_intent.amount_capturable_updated": "authorized",
    "payment_intent.succeeded": "captured",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "released",
    "charge.refunded": "refunded",
    "transfer.created": "transferred",
}


def _emit(
    uow,
    kind: str,
    task_id: int,
    intent_id: str,
    amount: int,
    reference: str = "",
    source: str = "api",
    stripe_event_id: str | None = None,
) -> None:
    uow.emit(
        CloudEvent(
            type=f"payment.{kind}",
            subject=str(task_id),
            data={
                "task_id": task_id,
                "intent_id": intent_id,
                "amount": amount,
                "reference": reference,
                "source": source,
                "stripe_event_id": stripe_event_id,
                "at": utcnow(),
            },
        ),
        key=str(task_id),
    )


def _set_status(uow, payment: Payment, status: str, emit: bool = True, reference: str = "") -> None:
    task = uow.session.get(Task, payment.task_id)
    payment.status, task.payment_status, payment.updated_at = status, status, utcnow()
    uow.session.add_all([payment, task])
    if emit and status in ("authorized", "failed", "captured", "released", "refunded"):
        amount = {"captured": payment.amount_captured, "refunded": payment.amount_refunded}.get(
            status, payment.amount_authorized
        )
        _emit(uow, status, payment.task_id, payment.intent_id, amount, reference or payment.intent_id)


def _currency(session: Session, task: Task) -> str:
    return session.get(Region, task.region).currency.lower()


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
            currency=_currency(session, task),
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
        _set_status(uow, payment, PaymentStatus.failed)
        return payment, None
    payment.intent_id = intent.id
    if intent.status == PaymentStatus.authorized:
        payment.authorized_at = utcnow()
    _set_status(uow, payment, intent.status if intent.status in ("authorized", "pending", "failed") else "pending")
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
        _set_status(uow, payment, intent.status)
    return payment


def _book(uow, task: Task, posting: str, reference: str, collected: int, due: PriceQuote | Quote) -> None:
    """Book money collected from the client against the quote it was collected for. The tasker is
    owed the quote's payout but never more than was collected less the platform's fees on it, so
    no shortfall is ever paid out of the platform's pocket."""
    payable = max(0, min(due.payout, collected - due.platform))
    post(
        uow.session,
        task.id,
        posting,
        reference,
        {"client": -collected, "tasker_payable": payable, "platform_fees": collected - payable},
    )


def _capture_hold(gateway, task: Task, payment: Payment, amount: int) -> int:
    """Capture up to the hold. Read before writing: if a worker died after Stripe captured but
    before its commit, the redelivered event finds the capture done (the idempotency key covers
    real Stripe too)."""
    amount = min(amount, payment.amount_authorized)
    if gateway.intent(payment.intent_id).status != PaymentStatus.captured:
        gateway.capture(payment.intent_id, amount, key=f"task-{task.id}-capture")
    payment.amount_captured = amount
    return amount


def _charge_extra(gateway, task: Task, payment: Payment, extra: int) -> int:
    """Charge an approved difference beyond the hold on the saved card: 0 if the card refuses it
    (the booked amount then stands, and the client is told why)."""
    if extra <= 0 or payment.extra_intent_id:
        return payment.amount_extra
    try:
        intent = gateway.charge(
            extra, payment.currency, payment.customer_id, payment.payment_method, task.id, key=f"task-{task.id}-extra"
        )
    except PaymentDeclined as exc:
        payment.failure_message = f"The approved extra of {extra} cents was declined: {exc.message}"
        return 0
    payment.extra_intent_id, payment.amount_extra = intent.id, extra
    payment.amount_captured += extra
    return extra


def _approved_extra(session, task_id: int) -> bool:
    claim = session.get(Adjustment, task_id)
    return claim is not None and claim.status in (AdjustmentStatus.approved, AdjustmentStatus.upheld)


def settle_completion(uow, gateway, event: CloudEvent) -> None:
    """Capture the final price against the hold. More than the hold is charged only when the client
    approved the claim for it; anything else is capped at what was booked."""
    session = uow.session
    task = session.get(Task, event.data["task_id"])
    payment = session.get(Payment, task.id)
    if payment is None or payment.status != PaymentStatus.authorized:
        return  # nothing held (or already settled: a redelivery)
    quotes = quotes_of(session, task.id)
    final, booked = quotes["final"], quotes["posted"]
    captured = _capture_hold(gateway, task, payment, final.total)
    if final.total > captured and _approved_extra(session, task.id):
        extra = _charge_extra(gateway, task, payment, final.total - captured)
        due = final if extra == final.total - captured else booked
        _book(uow, task, "capture", payment.intent_id, captured + extra, due)
    else:
        _book(uow, task, "capture", payment.intent_id, captured, final if final.total <= captured else booked)
    _set_status(uow, payment, PaymentStatus.captured)
    pay_out(uow, gateway, task, payment)


def settle_upheld_adjustment(uow, gateway, event: CloudEvent) -> None:
    """An operator ruled for the tasker after the booked amount was captured: charge the
    difference and pay the tasker their share of it."""
    if event.data["status"] != AdjustmentStatus.upheld:
        return
    session = uow.session
    task = session.get(Task, event.data["task_id"])
    payment = session.get(Payment, task.id)
    if (
        payment is None
        or payment.extra_intent_id
        or payment.status not in (PaymentStatus.captured, PaymentStatus.refunded)
    ):
        return  # nothing captured to add to, or already charged (a redelivery)
    quotes = quotes_of(session, task.id)
    claimed, booked = quotes["claimed"], quotes["posted"]
    extra = _charge_extra(gateway, task, payment, claimed.total - booked.total)
    if extra:
        difference = PriceQuote(
            **{
                name: getattr(claimed, name) - getattr(booked, name)
                for name in (
                    "rate",
                    "billable_minutes",
                    "subtotal",
                    "service_fee",
                    "trust_fee",
                    "commission",
                    "total",
                    "payout",
                    "platform",
                )
            },
            rule_version=claimed.rule_version,
        )
        _book(uow, task, "adjustment", payment.extra_intent_id, extra, difference)
        _emit(uow, "captured", task.id, payment.extra_intent_id, extra, payment.extra_intent_id)
    session.add(payment)
    pay_out(uow, gateway, task, payment)


def settle_cancellation(uow, gateway, event: CloudEvent) -> None:
    d = event.data
    if d["cancelled_by"] != "client":
        return  # a tasker's cancel reopens the task; the hold stays for the next tasker
    task = uow.session.get(Task, d["task_id"])
    payment = uow.session.get(Payment, task.id)
    if payment is None or payment.status not in (PaymentStatus.authorized, PaymentStatus.pending):
        return
    fee = d["fee"]
    if fee and payment.status == PaymentStatus.authorized:
        captured = _capture_hold(gateway, task, payment, fee["total"])
        _book(uow, task, "cancellation-fee", payment.intent_id, captured, PriceQuote(**fee))
        _set_status(uow, payment, PaymentStatus.captured)
        pay_out(uow, gateway, task, payment)
    else:
        if gateway.intent(payment.intent_id).status != PaymentStatus.released:
            gateway.release(payment.intent_id, key=f"task-{task.id}-release-{payment.attempt}")
        _set_status(uow, payment, PaymentStatus.released)


def pay_out(uow, gateway, task: Task, payment: Payment) -> None:
    """Transfer what the tasker is owed on this task to their connected account, if they have one
    yet (otherwise it waits in `tasker_payable` until they onboard). An upheld adjustment adds a
    second transfer, with its own idempotency key."""
    owed = balances(uow.session, task.id).get("tasker_payable", 0)
    account = uow.session.get(PayoutAccount, task.tasker_id) if task.tasker_id else None
    if owed <= 0 or account is None:
        return
    done = uow.session.exec(
        select(func.count()).where(
            LedgerEntry.task_id == task.id, LedgerEntry.posting == "transfer", LedgerEntry.account == "tasker_paid_out"
        )
    ).one()
    key = f"task-{task.id}-transfer" + (f"-{done + 1}" if done else "")
    transfer = gateway.transfer(owed, payment.currency, account.account_id, task.id, key=key)
    payment.transfer_id, payment.amount_transferred = transfer.id, payment.amount_transferred + owed
    post(uow.session, task.id, "transfer", transfer.id, {"tasker_payable": -owed, "tasker_paid_out": owed})
    uow.session.add(payment)
    _emit(uow, "transferred", task.id, payment.intent_id, owed, transfer.id)


def pay_outstanding(uow, gateway, tasker_id: int | None = None) -> int:
    """Pay every task still owing its tasker, where the tasker now has an account."""
    owing = (
        select(LedgerEntry.task_id)
        .where(LedgerEntry.account == "tasker_payable")
        .group_by(LedgerEntry.task_id)
        .having(func.sum(LedgerEntry.amount) > 0)
    )
    query = (
        select(Payment, Task)
        .join(Task, Task.id == Payment.task_id)
        .where(Task.id.in_(owing))
        .join(PayoutAccount, PayoutAccount.tasker_id == Task.tasker_id)
    )
    if tasker_id is not None:
        query = query.where(Task.tasker_id == tasker_id)
    paid = 0
    for payment, task in uow.session.exec(query).all():
        before = payment.amount_transferred
        pay_out(uow, gateway, task, payment)
        paid += payment.amount_transferred > before
    return paid


def refund(uow, gateway, operator: User, task_id: int, amount: int | None, reason: str) -> Payment:
    session = uow.session
    payment = session.get(Payment, task_id)
    if payment is None or payment.amount_captured == 0:
        raise Conflict(f"Task {task_id} has no captured payment to refund.")
    refundable = payment.amount_captured - payment.amount_refunded
    amount = refundable if amount is None else amount
    if not 1 <= amount <= refundable:
        raise Invalid("Check the amount.", {"amount": [f"Between 1 and {refundable} cents (what is left to refund)."]})
    number = (
        session.exec(
            select(func.count()).where(
                LedgerEntry.task_id == task_id,
                LedgerEntry.posting.startswith("refund"),
                LedgerEntry.account == "client",
            )
        ).one()
        + 1
    )
    # Refunds come from the hold's capture first, then from an approved extra charge.
    from_hold = min(amount, max(0, payment.amount_captured - payment.amount_extra - payment.amount_refunded))
    note = f"{reason} (by {operator.email})"
    refund_id = ""
    if from_hold:
        refund_id = gateway.refund(payment.intent_id, from_hold, note, key=f"task-{task_id}-refund-{number}")
    if amount - from_hold:
        refund_id = gateway.refund(
            payment.extra_intent_id, amount - from_hold, note, key=f"task-{task_id}-refund-{number}-extra"
        )
    payment.amount_refunded += amount
    post(session, task_id, f"refund:{number}", refund_id, {"client": amount, "platform_fees": -amount})
    _set_status(uow, payment, PaymentStatus.refunded, reference=refund_id)
    return payment


def reauthorize_holds(uow, gateway, now: datetime, older_than_s: int) -> int:
    """A card hold lapses after about seven days. Renew each hold older than `older_than_s`
    whose task has not started: a new hold on the saved card, then release the old one."""
    session = uow.session
    stale = session.exec(
        select(Payment)
        .join(Task, Task.id == Payment.task_id)
        .where(
            Payment.status == PaymentStatus.authorized,
            Payment.authorized_at < now - timedelta(seconds=older_than_s),
            Task.status.in_([TaskStatus.priced, TaskStatus.accepted]),
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
            _set_status(uow, payment, PaymentStatus.failed)
            continue
        gateway.release(old, key=f"task-{payment.task_id}-release-{payment.attempt - 1}")
        payment.intent_id, payment.authorized_at = intent.id, now
        session.add(payment)
        _emit(uow, "authorized", payment.task_id, intent.id, payment.amount_authorized, f"renewed {old}")
    return len(stale)


def _task_of(session, obj: dict) -> int | None:
    """The task a Stripe object's metadata names, if it is one of ours. Stripe's metadata is free
    text: anything that is not the id of an existing task is nothing of ours."""
    metadata = obj.get("metadata")
    raw = metadata.get("task_id") if isinstance(metadata, dict) else None
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**31:
        return None
    return int(raw) if session.get(Task, int(raw)) is not None else None


def handle_webhook(uow, event: dict) -> bool:
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
    payment = session.exec(select(Payment).where(Payment.intent_id == intent_id)).first() if intent_id else None
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
            _set_status(uow, payment, status, emit=False)
    _emit(uow, kind, task_id, intent_id or "", amount, object_id[:255], "webhook", event["id"])
    return True


def onboard_tasker(uow, gateway, tasker: User, refresh_url: str, return_url: str) -> tuple[str, str]:
    """The tasker's connected account (created once; only its id is kept) and an onboarding link."""
    if tasker.role != Role.tasker:
        raise Forbidden("Only taskers are paid out.")
    account = uow.session.get(PayoutAccount, tasker.id)
    if account is None:
        account = PayoutAccount(tasker_id=tasker.id, account_id=gateway.create_account(tasker.email, tasker.id))
        uow.session.add(account)
        uow.session.flush()
    # A link is single-use and short-lived, so each request asks for a new one (its own key).
    link = gateway.onboarding_link(
        account.account_id, refresh_url, return_url, key=f"account-link-{tasker.id}-{utcnow().timestamp():.0f}"
    )
    return account.account_id, link
