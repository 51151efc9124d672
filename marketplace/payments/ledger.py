"""The double-entry ledger. Each posting is a set of entries that sums to zero, written in the
same transaction as the payment state it records, so every task's entries sum to zero at all
times. Accounts: `client` (negative by what the client paid), `platform_fees`, `tasker_payable`
(owed to the tasker), `tasker_paid_out` (sent to their connected account)."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from marketplace.payments.models import LedgerEntry


class UnbalancedPosting(ValueError):
    pass


def post(session: Session, task_id: int, posting: str, reference: str, entries: dict[str, int]) -> None:
    if sum(entries.values()) != 0:
        raise UnbalancedPosting(f"task {task_id} {posting}: entries sum to {sum(entries.values())}, not 0")
    for account, amount in entries.items():
        if amount:
            session.add(
                LedgerEntry(task_id=task_id, posting=posting, account=account, amount=amount, reference=reference)
            )


def balances(session: Session, task_id: int) -> dict[str, int]:
    rows = session.exec(
        select(LedgerEntry.account, func.sum(col(LedgerEntry.amount)))
        .where(col(LedgerEntry.task_id) == task_id)
        .group_by(col(LedgerEntry.account))
    )
    return {account: int(total) for account, total in rows}


def task_totals(session: Session) -> dict[int, int]:
    """Every task's ledger sum: all zeros when the books balance."""
    rows = session.exec(
        select(LedgerEntry.task_id, func.sum(col(LedgerEntry.amount))).group_by(col(LedgerEntry.task_id))
    )
    return {task_id: int(total) for task_id, total in rows}
