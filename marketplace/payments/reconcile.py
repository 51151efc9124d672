"""`floorboard payments reconcile`: compare the ledger with Stripe's own objects.

For each task's payment: the hold's status, what Stripe says was received (captured minus
refunded) against the ledger's client account, and each transfer's amount against what the
ledger says was paid out. Every task's entries must also sum to zero, and no tasker may be owed
or paid more than was captured for the task less the platform's fees on it."""

from __future__ import annotations

from dataclasses import dataclass

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


def reconcile(session: Session, gateway: PaymentGateway, progress=None) -> list[Difference]:
    differences = [
        Difference(task_id, "entries sum", "0", str(total))
        for task_id, total in task_totals(session).items()
        if total != 0
    ]
    payments = session.exec(select(Payment).order_by(col(Payment.task_id))).all()
    for payment in payments:
        if payment.intent_id.startswith("declined-"):
            continue  # refused before Stripe made an intent: nothing there to compare
        intent = gateway.intent(payment.intent_id)
        if EXPECTED_INTENT.get(payment.status) != intent.status:
            differences.append(Difference(payment.task_id, "hold status", payment.status, intent.status))
        books = balances(session, payment.task_id)
        received = -books.get("client", 0)
        at_stripe = intent.net_received + (
            gateway.intent(payment.extra_intent_id).net_received if payment.extra_intent_id else 0
        )
        if received != at_stripe:
            differences.append(
                Difference(payment.task_id, "received (captured - refunded)", str(received), str(at_stripe))
            )
        fees = books.get("platform_fees", 0) + refunded_by_platform(session, payment.task_id)
        owed_and_paid = books.get("tasker_paid_out", 0) + books.get("tasker_payable", 0)
        if fees < 0 or owed_and_paid > payment.amount_captured - fees:  # fees < 0: the platform paid the tasker
            differences.append(
                Difference(
                    payment.task_id,
                    "tasker paid beyond captured - platform fees",
                    f"{owed_and_paid} > {payment.amount_captured} - {fees}",
                    "-",
                )
            )
        for transfer_id, paid in transfers(session, payment.task_id):
            transfer = gateway.retrieve_transfer(transfer_id)
            if transfer.amount != paid:
                differences.append(
                    Difference(payment.task_id, f"transfer {transfer.id}", str(paid), str(transfer.amount))
                )
        if progress is not None:
            progress()
    return differences
