"""Settling a task: capture on completion (never more than was held; an approved extra as a second
charge), an upheld claim, a cancellation fee or release, and an operator's refund. Each step writes
its ledger posting with the payment's new state.

The payments worker's handlers (`settle_*`) call no one: each queues the Stripe call it needs
(marketplace/payments/calls.py), and the step named by the call's purpose (`*_captured`,
`*_charged`, `*_released`) records the answer in the sender's own unit of work, queueing the
next call (the extra charge after the capture, the transfer after either)."""

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
from marketplace.payments.calls import CallAnswer, queue
from marketplace.payments.gateway import PaymentGateway
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


def _approved_extra(session, task_id: int) -> bool:
    claim = session.get(Adjustment, task_id)
    return claim is not None and claim.status in (AdjustmentStatus.approved, AdjustmentStatus.upheld)


def _has_card(payment: Payment) -> bool:
    return payment.customer_id is not None and payment.payment_method is not None


def _charge_extra(uow: UnitOfWork, task: Task, payment: Payment, amount: int, purpose: str, key: str, **more) -> None:
    """Queue a charge of an approved difference beyond the hold on the saved card."""
    queue(
        uow,
        task.id,
        "charge",
        purpose,
        key,
        amount=amount,
        currency=payment.currency,
        customer=payment.customer_id,
        payment_method=payment.payment_method,
        **more,
    )


# -- completion: capture (then an approved extra), book, pay out ---------------------------------


def settle_completion(uow: UnitOfWork, event: CloudEvent) -> None:
    """Capture the final price against the hold, never more than the hold; more than the hold is
    charged only when the client approved the claim for it (a second call, after the capture)."""
    session = uow.session
    task = session.get_one(Task, TaskCompleted.of(event).task_id)
    payment = session.get(Payment, task.id)
    if payment is None or payment.status != PaymentStatus.authorized:
        return  # nothing held (or already settled: a redelivery)
    final = quotes_of(session, task.id)["final"]
    amount = min(final.total, payment.amount_authorized)
    queue(uow, task.id, "capture", "completion", f"task-{task.id}-capture", intent_id=payment.intent_id, amount=amount)


def completion_captured(uow: UnitOfWork, done: CallAnswer) -> None:
    session = uow.session
    task = session.get_one(Task, done.call.task_id)
    payment = session.get_one(Payment, task.id)
    captured = int(done.arguments["amount"])
    payment.amount_captured = captured
    quotes = quotes_of(session, task.id)
    final, booked = quotes["final"], quotes["posted"]
    if final.total > captured and _approved_extra(session, task.id) and not payment.extra_intent_id:
        if _has_card(payment):
            session.add(payment)
            _charge_extra(
                uow,
                task,
                payment,
                final.total - captured,
                "completion-extra",
                f"task-{task.id}-extra",
                captured=captured,
            )
            return  # booked once the extra's answer is in
        payment.failure_message = (
            f"The approved extra of {final.total - captured} cents could not be charged: no saved card."
        )
        replace_quote(session, task.id, "final", as_price(booked))
        _book(uow, task, "capture", payment.intent_id, captured, booked)
    else:
        _book(uow, task, "capture", payment.intent_id, captured, final if final.total <= captured else booked)
    set_status(uow, payment, PaymentStatus.captured)
    pay_out(uow, task, payment)


def completion_extra_charged(uow: UnitOfWork, done: CallAnswer) -> None:
    session = uow.session
    task = session.get_one(Task, done.call.task_id)
    payment = session.get_one(Payment, task.id)
    captured, extra = int(done.arguments["captured"]), int(done.arguments["amount"])
    quotes = quotes_of(session, task.id)
    final, booked = quotes["final"], quotes["posted"]
    if "declined" in done.answer:
        payment.failure_message = f"The approved extra of {extra} cents was declined: {done.answer['declined']}"
        replace_quote(session, task.id, "final", as_price(booked))  # the booked amount is the final price
        _book(uow, task, "capture", payment.intent_id, captured, booked)
    else:
        payment.extra_intent_id, payment.amount_extra = done.answer["intent_id"], extra
        payment.amount_captured = captured + extra
        _book(uow, task, "capture", payment.intent_id, captured + extra, final)
    set_status(uow, payment, PaymentStatus.captured)
    pay_out(uow, task, payment)


# -- an operator upheld a claim after the booked amount was captured ------------------------------


def settle_upheld_adjustment(uow: UnitOfWork, event: CloudEvent) -> None:
    """An operator ruled for the tasker after the booked amount was captured: charge the
    difference (after commit) and pay the tasker their share of it."""
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
    extra = quotes["claimed"].total - quotes["posted"].total
    if extra > 0 and _has_card(payment):
        _charge_extra(uow, task, payment, extra, "adjustment", f"task-{task.id}-adjustment")
        return
    if extra > 0:
        payment.failure_message = f"The approved extra of {extra} cents could not be charged: no saved card."
    replace_quote(session, task.id, "final", as_price(quotes["posted"]))  # what was charged is the final price
    session.add(payment)
    pay_out(uow, task, payment)


def adjustment_charged(uow: UnitOfWork, done: CallAnswer) -> None:
    session = uow.session
    task = session.get_one(Task, done.call.task_id)
    payment = session.get_one(Payment, task.id)
    quotes = quotes_of(session, task.id)
    claimed, booked = quotes["claimed"], quotes["posted"]
    extra = int(done.arguments["amount"])
    if "declined" in done.answer:
        payment.failure_message = f"The approved extra of {extra} cents was declined: {done.answer['declined']}"
        replace_quote(session, task.id, "final", as_price(booked))
    else:
        charged = done.answer["intent_id"]
        payment.extra_intent_id, payment.amount_extra = charged, extra
        payment.amount_captured += extra
        difference = Quote(
            **{name: getattr(claimed, name) - getattr(booked, name) for name in MONEY_FIELDS},
            rule_version=claimed.rule_version,
        )
        _book(uow, task, "adjustment", charged, extra, difference)
        emit_payment_event(uow, "captured", task.id, charged, extra, charged)
    session.add(payment)
    pay_out(uow, task, payment)


MONEY_FIELDS = tuple(name for name in Quote._fields if name != "rule_version")  # the differences to take


# -- cancellation: the fee captured, or the hold released -----------------------------------------


def settle_cancellation(uow: UnitOfWork, event: CloudEvent) -> None:
    cancelled = TaskCancelled.of(event)
    if cancelled.cancelled_by == "tasker":
        return  # a tasker's cancel reopens the task; the hold stays for the next tasker
    task = uow.session.get_one(Task, cancelled.task_id)
    payment = uow.session.get(Payment, task.id)
    if payment is None or payment.status not in (PaymentStatus.authorized, PaymentStatus.pending):
        return
    fee = cancelled.fee
    if fee and payment.status == PaymentStatus.authorized:
        amount = min(fee["total"], payment.amount_authorized)
        queue(
            uow,
            task.id,
            "capture",
            "cancellation-fee",
            f"task-{task.id}-capture",
            intent_id=payment.intent_id,
            amount=amount,
            fee=fee,
        )
    elif payment.intent_id and not payment.intent_id.startswith("declined-"):
        key = f"task-{task.id}-release-{payment.attempt}"
        queue(uow, task.id, "release", "cancellation", key, intent_id=payment.intent_id)
    else:  # no intent at Stripe (a booking never answered): nothing to release
        set_status(uow, payment, PaymentStatus.released)


def cancellation_fee_captured(uow: UnitOfWork, done: CallAnswer) -> None:
    task = uow.session.get_one(Task, done.call.task_id)
    payment = uow.session.get_one(Payment, task.id)
    captured = int(done.arguments["amount"])
    payment.amount_captured = captured
    _book(uow, task, "cancellation-fee", payment.intent_id, captured, Quote(**done.arguments["fee"]))
    set_status(uow, payment, PaymentStatus.captured)
    pay_out(uow, task, payment)


def cancellation_released(uow: UnitOfWork, done: CallAnswer) -> None:
    payment = uow.session.get_one(Payment, done.call.task_id)
    if payment.status in (PaymentStatus.authorized, PaymentStatus.pending):
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
