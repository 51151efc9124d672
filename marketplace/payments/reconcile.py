"""`floorboard payments reconcile`: compare the ledger with Stripe's own objects: the books are read
and the session closed before Stripe is asked, so no transaction stays open across its answers.

For each task's payment: the hold's status, what Stripe says was received (captured minus
refunded) against the ledger's client account, and each transfer's amount against what the
ledger says was paid out. Every task's entries must also sum to zero, and no tasker may be owed
or paid more than was captured for the task less the platform's fees on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from marketplace.payments.gateway import PaymentGateway
from marketplace.payments.ledger import balances, task_totals
from marketplace.payments.models import LedgerEntry, Payment

# Our status -> the intent status Stripe must show for it.
EXPECTED_INTENT = {
    "authorized": "authorized",
    "captured": "captured",
    "refunded": "captured",
    "released": "released",
    "failed": "failed",
    "pending": "pending",
}


@dataclass(frozen=True)
class Difference:
    task_id: int
    what: str
    ledger: str
    stripe: str


def transfers(session: Session, task_id: int) -> list[tuple[str, int]]:
    return list(
        session.exec(
            select(LedgerEntry.reference, LedgerEntry.amount).where(
                col(LedgerEntry.task_id) == task_id,
                col(LedgerEntry.posting) == "transfer",
                col(LedgerEntry.account) == "tasker_paid_out",
            )
        )
    )


def refunded_by_platform(session: Session, task_id: int) -> int:
    """Refunds are an operator's decision and come out of the platform's fees; add them back to
    compare what the tasker got with the fees the platform charged."""
    total = session.exec(
        select(func.sum(col(LedgerEntry.amount))).where(
            col(LedgerEntry.task_id) == task_id,
            col(LedgerEntry.posting).startswith("refund"),
            col(LedgerEntry.account) == "client",
        )
    ).one()
    return int(total or 0)


@dataclass(frozen=True)
class Books:
    """What the ledger says of one task's payment, read before Stripe is asked."""

    task_id: int
    status: str
    intent_id: str
    extra_intent_id: str | None
    amount_captured: int
    balances: dict[str, int]
    refunded_by_platform: int
    transfers: list[tuple[str, int]]


@dataclass(frozen=True)
class AtStripe:
    intent_status: str
    net_received: int
    transfers: dict[str, int]  # id -> amount


def read_books(session: Session) -> tuple[list[Difference], list[Books]]:
    """Step 1, in a session closed before Stripe is asked: the entries' sums and each payment."""
    unbalanced = [
        Difference(task_id, "entries sum", "0", str(total)) for task_id, total in task_totals(session).items() if total
    ]
    books = [
        Books(
            p.task_id,
            p.status,
            p.intent_id,
            p.extra_intent_id,
            p.amount_captured,
            balances(session, p.task_id),
            refunded_by_platform(session, p.task_id),
            transfers(session, p.task_id),
        )
        for p in session.exec(select(Payment).order_by(col(Payment.task_id))).all()
        if not p.intent_id.startswith("declined-")  # refused before Stripe made an intent: nothing to compare
    ]
    return unbalanced, books


def ask_stripe(gateway: PaymentGateway, books: Books) -> AtStripe:
    """Step 2, with no transaction open."""
    intent = gateway.intent(books.intent_id)
    extra = gateway.intent(books.extra_intent_id).net_received if books.extra_intent_id else 0
    made = {transfer_id: gateway.retrieve_transfer(transfer_id).amount for transfer_id, _ in books.transfers}
    return AtStripe(intent.status, intent.net_received + extra, made)


def compare(books: Books, stripe: AtStripe) -> list[Difference]:
    """Step 3: where the ledger and Stripe differ for one task."""
    found = []
    if EXPECTED_INTENT.get(books.status) != stripe.intent_status:
        found.append(Difference(books.task_id, "hold status", books.status, stripe.intent_status))
    received = -books.balances.get("client", 0)
    if received != stripe.net_received:
        found.append(
            Difference(books.task_id, "received (captured - refunded)", str(received), str(stripe.net_received))
        )
    fees = books.balances.get("platform_fees", 0) + books.refunded_by_platform
    owed_and_paid = books.balances.get("tasker_paid_out", 0) + books.balances.get("tasker_payable", 0)
    if fees < 0 or owed_and_paid > books.amount_captured - fees:  # fees < 0: the platform paid the tasker
        found.append(
            Difference(
                books.task_id,
                "tasker paid beyond captured - platform fees",
                f"{owed_and_paid} > {books.amount_captured} - {fees}",
                "-",
            )
        )
    for transfer_id, paid in books.transfers:
        if stripe.transfers[transfer_id] != paid:
            found.append(
                Difference(books.task_id, f"transfer {transfer_id}", str(paid), str(stripe.transfers[transfer_id]))
            )
    return found


def reconcile(uow_factory: Callable[[], Any], gateway: PaymentGateway, progress=None) -> list[Difference]:
    """Read the books and close the session, ask Stripe with none open, then compare."""
    with uow_factory() as uow:
        differences, books = read_books(uow.session)
    for one in books:
        differences.extend(compare(one, ask_stripe(gateway, one)))
        if progress is not None:
            progress()
    return differences
