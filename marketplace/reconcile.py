"""`floorboard payments reconcile`: compare the ledger with Stripe's own objects.

For each task's payment: the hold's status, what Stripe says was received (captured minus
refunded) against the ledger's client account, and each transfer's amount against what the
ledger says was paid out. Every task's entries must also sum to zero."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from marketplace.ledger import balances, task_totals
from marketplace.models import Payment

# Our status -> the intent status Stripe must show for it.
EXPECTED_INTENT = {"authorized": "authorized", "captured": "captured", "refunded": "captured",
                   "released": "released", "failed": "failed", "pending": "pending"}


@dataclass(frozen=True)
class Difference:
    task_id: int
    what: str
    ledger: str
    stripe: str


def reconcile(session: Session, gateway, progress=None) -> list[Difference]:
    differences = [Difference(task_id, "entries sum", "0", str(total))
                   for task_id, total in task_totals(session).items() if total != 0]
    payments = session.exec(select(Payment).order_by(Payment.task_id)).all()
    for payment in payments:
        if payment.intent_id.startswith("declined-"):
            continue  # refused before Stripe made an intent: nothing there to compare
        intent = gateway.intent(payment.intent_id)
        if EXPECTED_INTENT.get(payment.status) != intent.status:
            differences.append(Difference(payment.task_id, "hold status", payment.status, intent.status))
        received = -balances(session, payment.task_id).get("client", 0)
        if received != intent.net_received:
            differences.append(Difference(payment.task_id, "received (captured - refunded)", str(received),
                                          str(intent.net_received)))
        if payment.transfer_id:
            paid = balances(session, payment.task_id).get("tasker_paid_out", 0)
            transfer = gateway.retrieve_transfer(payment.transfer_id)
            if transfer.amount != paid:
                differences.append(Difference(payment.task_id, f"transfer {transfer.id}", str(paid), str(transfer.amount)))
        if progress is not None:
            progress()
    return differences
