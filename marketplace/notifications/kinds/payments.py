"""Money mail: charges, refunds and payouts. It cannot be switched off."""

from __future__ import annotations

from typing import Any

from events.payloads import PaymentEvent
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds.kind import Kind, Webhook
from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Reader
from marketplace.tasks.models import Task


def _title(task: Task) -> str:
    return f"“{task.title}”"


def _charged(e: PaymentEvent, task: Task, f: Facts, to: Reader) -> Draft:
    amount = f.money(task, e.amount)
    if f.test_mode:
        return Draft(
            f"Settled {amount} for {_title(task)} (test mode)",
            [
                f"{_title(task)} was settled at {amount}. "
                "Test mode: no payment provider is set up, so no card was charged."
            ],
            f.links.task(task.id, "client"),
            api=f.links.api_task(task.id),
        )
    return Draft(
        f"Charged {amount} for {_title(task)}",
        [f"We charged {amount} for {_title(task)}."],
        f.links.task(task.id, "client"),
        api=f.links.api_task(task.id),
    )


def _refunded(e: PaymentEvent, task: Task, f: Facts, to: Reader) -> Draft:
    amount = f.money(task, e.amount)
    if f.test_mode:
        return Draft(
            f"Refunded {amount} for {_title(task)} (test mode)",
            [
                f"A refund of {amount} for {_title(task)} is recorded. "
                "Test mode: no card was charged, so none is credited."
            ],
            f.links.task(task.id, "client"),
            api=f.links.api_task(task.id),
        )
    return Draft(
        f"Refunded {amount} for {_title(task)}",
        [f"We refunded {amount} for {_title(task)}."],
        f.links.task(task.id, "client"),
        api=f.links.api_task(task.id),
    )


def _paid_out(e: PaymentEvent, task: Task, f: Facts, to: Reader) -> Draft:
    amount = f.money(task, e.amount)
    if f.test_mode:
        return Draft(
            f"Paid out {amount} for {_title(task)} (test mode)",
            [
                f"A payout of {amount} for {_title(task)} is recorded. Test mode: no payment provider is set up, "
                "so nothing was sent to a bank."
            ],
            f.links.payouts(),
            "Your earnings and payouts",
            f.links.api_payouts(),
        )
    return Draft(
        f"Paid out {amount} for {_title(task)}",
        [f"We paid {amount} for {_title(task)} to your payout account."],
        f.links.payouts(),
        "Your earnings and payouts",
        f.links.api_payouts(),
    )


def _paid_to(e: PaymentEvent, f: Facts) -> int | None:
    task = f.task(e.task_id)
    return task.tasker_id if task is not None else None


def _paid_out_data(e: PaymentEvent, f: Facts) -> dict[str, Any]:
    # Never the PaymentIntent (the client's card) nor Stripe's ids: what was paid, for which task.
    task = f.task(e.task_id)
    assert task is not None  # as _paid_to found
    return {"task_id": e.task_id, "amount": e.amount, "currency": f.currency(task.region), "paid_at": e.at}


KINDS: list[Kind[Any]] = [
    Kind(
        "payment.captured",
        "A charge",
        "payment.captured",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_charged,
        readers=("client",),
        money=True,
    ),
    Kind(
        "payment.refunded",
        "A refund",
        "payment.refunded",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_refunded,
        readers=("client",),
        money=True,
    ),
    Kind(
        "payment.transferred",
        "A payout",
        "payment.transferred",
        hears=lambda e, task, f: {"tasker": task.tasker_id},
        letter=_paid_out,
        readers=("tasker",),
        money=True,
        webhook=Webhook(to=_paid_to, data=_paid_out_data),
    ),
]
