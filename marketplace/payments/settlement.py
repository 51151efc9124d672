"""Settling a task: capture on completion (never more than was held; an approved extra as a second
charge), an upheld claim, a cancellation fee or release, and an operator's refund. Each step writes
its ledger posting with the payment's new state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, func, select

from events.envelope import CloudEvent
from events.payloads import TaskAdjustment, TaskCancelled, TaskCompleted
from marketplace.accounts.models import User
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Invalid
from marketplace.payments.gateway import PaymentDeclined, PaymentGateway
from marketplace.payments.ledger import post
from marketplace.payments.models import (
    LedgerEntry,
    Payment,
    PaymentStatus,
)
from marketplace.payments.payouts import pay_out
from marketplace.payments.status import emit_payment_event, set_status
from marketplace.tasks.models import Adjustment, AdjustmentStatus, Task, TaskQuote
from marketplace.tasks.quotes import as_price, quotes_of, replace_quote
from pricing import Quote


def _book(uow: UnitOfWork, task: Task, posting: str, reference: str, collected: int, due: Quote | TaskQuote) -> None:
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


def _capture_hold(gateway: PaymentGateway, task: Task, payment: Payment, amount: int) -> int:
    """Capture up to the hold. Read before writing: if a worker died after Stripe captured but
    before its commit, the redelivered event finds the capture done (the idempotency key covers
    real Stripe too)."""
    amount = min(amount, payment.amount_authorized)
    if gateway.intent(payment.intent_id).status != PaymentStatus.captured:
        gateway.capture(payment.intent_id, amount, key=f"task-{task.id}-capture")
    payment.amount_captured = amount
    return amount


def _charge_extra(gateway: PaymentGateway, task: Task, payment: Payment, extra: int) -> int:
    """Charge an approved difference beyond the hold on the saved card: 0 if the card refuses it
    (the booked amount then stands, and the client is told why)."""
    if extra <= 0 or payment.extra_intent_id:
        return payment.amount_extra
    if payment.customer_id is None or payment.payment_method is None:  # no saved card to charge
        payment.failure_message = f"The approved extra of {extra} cents could not be charged: no saved card."
        return 0
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


def settle_completion(uow: UnitOfWork, event: CloudEvent, gateway: PaymentGateway) -> None:
    """Capture the final price against the hold. More than the hold is charged only when the client
    approved the claim for it; anything else is capped at what was booked."""
    session = uow.session
    task = session.get_one(Task, TaskCompleted.of(event).task_id)
    payment = session.get(Payment, task.id)
    if payment is None or payment.status != PaymentStatus.authorized:
        return  # nothing held (or already settled: a redelivery)
    quotes = quotes_of(session, task.id)
    final, booked = quotes["final"], quotes["posted"]
    captured = _capture_hold(gateway, task, payment, final.total)
    if final.total > captured and _approved_extra(session, task.id):
        extra = _charge_extra(gateway, task, payment, final.total - captured)
        due = final if extra == final.total - captured else booked
        if due is booked:  # the card refused the extra: the booked amount is the final price
            replace_quote(session, task.id, "final", as_price(booked))
        _book(uow, task, "capture", payment.intent_id, captured + extra, due)
    else:
        _book(uow, task, "capture", payment.intent_id, captured, final if final.total <= captured else booked)
    set_status(uow, payment, PaymentStatus.captured)
    pay_out(uow, gateway, task, payment)


def settle_upheld_adjustment(uow: UnitOfWork, event: CloudEvent, gateway: PaymentGateway) -> None:
    """An operator ruled for the tasker after the booked amount was captured: charge the
    difference and pay the tasker their share of it."""
    decided = TaskAdjustment.of(event)
    if decided.status != AdjustmentStatus.upheld:
        return
    session = uow.session
    task = session.get_one(Task, decided.task_id)
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
        difference = Quote(
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
        charged = payment.extra_intent_id or ""  # set by the charge that just succeeded
        _book(uow, task, "adjustment", charged, extra, difference)
        emit_payment_event(uow, "captured", task.id, charged, extra, charged)
    else:  # the card refused the difference: what was charged, the booked amount, is the final price
        replace_quote(session, task.id, "final", as_price(booked))
    session.add(payment)
    pay_out(uow, gateway, task, payment)


def settle_cancellation(uow: UnitOfWork, event: CloudEvent, gateway: PaymentGateway) -> None:
    cancelled = TaskCancelled.of(event)
    if cancelled.cancelled_by != "client":
        return  # a tasker's cancel reopens the task; the hold stays for the next tasker
    task = uow.session.get_one(Task, cancelled.task_id)
    payment = uow.session.get(Payment, task.id)
    if payment is None or payment.status not in (PaymentStatus.authorized, PaymentStatus.pending):
        return
    fee = cancelled.fee
    if fee and payment.status == PaymentStatus.authorized:
        captured = _capture_hold(gateway, task, payment, fee["total"])
        _book(uow, task, "cancellation-fee", payment.intent_id, captured, Quote(**fee))
        set_status(uow, payment, PaymentStatus.captured)
        pay_out(uow, gateway, task, payment)
    else:
        if gateway.intent(payment.intent_id).status != PaymentStatus.released:
            gateway.release(payment.intent_id, key=f"task-{task.id}-release-{payment.attempt}")
        set_status(uow, payment, PaymentStatus.released)


@dataclass(frozen=True)
class RefundPlan:
    """An operator's refund, decided before Stripe is asked: `number` names its idempotency keys,
    so a refund whose answer was lost is asked again with the same keys, and Stripe refunds once."""

    task_id: int
    number: int
    amount: int
    from_hold: int
    intent_id: str
    extra_intent_id: str | None
    note: str


def plan_refund(uow: UnitOfWork, operator: User, task_id: int, amount: int | None, reason: str) -> RefundPlan:
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
                col(LedgerEntry.task_id) == task_id,
                col(LedgerEntry.posting).startswith("refund"),
                col(LedgerEntry.account) == "client",
            )
        ).one()
        + 1
    )
    # Refunds come from the hold's capture first, then from an approved extra charge.
    from_hold = min(amount, max(0, payment.amount_captured - payment.amount_extra - payment.amount_refunded))
    return RefundPlan(
        task_id,
        number,
        amount,
        from_hold,
        payment.intent_id,
        payment.extra_intent_id,
        f"{reason} (by {operator.email})",
    )


def ask_refund(gateway: PaymentGateway, plan: RefundPlan) -> str:
    """With no transaction open: the refunds at Stripe, each with its key. Returns the last id."""
    refund_id = ""
    key = f"task-{plan.task_id}-refund-{plan.number}"
    if plan.from_hold:
        refund_id = gateway.refund(plan.intent_id, plan.from_hold, plan.note, key=key)
    if plan.amount - plan.from_hold:
        assert plan.extra_intent_id is not None  # more than the hold was captured only by an extra charge
        refund_id = gateway.refund(plan.extra_intent_id, plan.amount - plan.from_hold, plan.note, key=f"{key}-extra")
    return refund_id


def record_refund(uow: UnitOfWork, plan: RefundPlan, refund_id: str) -> Payment:
    session = uow.session
    payment = session.get_one(Payment, plan.task_id)
    posting = f"refund:{plan.number}"
    already = session.exec(
        select(func.count()).where(col(LedgerEntry.task_id) == plan.task_id, col(LedgerEntry.posting) == posting)
    ).one()
    if already:
        raise Conflict(f"Refund {plan.number} of task {plan.task_id} was just recorded by another request.")
    payment.amount_refunded += plan.amount
    post(session, plan.task_id, posting, refund_id, {"client": plan.amount, "platform_fees": -plan.amount})
    set_status(uow, payment, PaymentStatus.refunded, reference=refund_id)
    return payment


def refund(
    uow_factory: Callable[[], Any],
    gateway: PaymentGateway,
    operator: User,
    task_id: int,
    amount: int | None,
    reason: str,
) -> Payment:
    """An operator's refund: decided in one unit of work, asked of Stripe with none open, and
    recorded (ledger and payment) in another."""
    with uow_factory() as uow:
        plan = plan_refund(uow, operator, task_id, amount, reason)
    refund_id = ask_refund(gateway, plan)
    with uow_factory() as uow:
        payment = record_refund(uow, plan, refund_id)
        uow.commit()
    return payment
