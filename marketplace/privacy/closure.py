"""Closing an account (docs/privacy.md).

Refused, with each reason said, while the person still has something going on: a task not in a
final state (as its client, its tasker, or the tasker a rebooking waits for), a claim or dispute
not decided, or money not settled (a card hold not captured or released, a payment call in flight,
a payout the ledger still owes them). Operators' accounts are not closed here.

Otherwise, in one unit of work, every table that names the person is handled as USER_LINKED says
(a test fails when a table with a user column is not named there): what is theirs alone is
deleted (sessions, tokens, two-factor, devices, webhook endpoints and their deliveries, email
rows, preferences, skills and regions, connections, the conversations they took part in); what
the law makes us keep (tasks, payments, the ledger, payouts, claims) stays, with their private
text cleared; public contributions (tips, answers, guides, endorsements and reviews they wrote)
stay under "a former tasker" / "a former client". Copies of their words held for other people
(email rows, webhook deliveries quoting their name, email, an address or a message) are deleted
too. The user row stays, so the kept rows still add up, as a tombstone that cannot sign in: no
name, a unique undeliverable email, no password.

No event is written or rewritten: the events carry ids, never words (events.contracts), so the
projections and a replay agree before and after.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Table, delete, or_
from sqlmodel import Session, SQLModel, col, func, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import check_password
from marketplace.accounts.users import make_tombstone
from marketplace.clock import utcnow
from marketplace.conversations.models import Message
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Invalid
from marketplace.network.forget import clear_words_about
from marketplace.notifications.forget import delete_copies, delete_deliveries_to
from marketplace.payments.calls import OPEN
from marketplace.payments.models import LedgerEntry, Payment, PaymentCall, PaymentStatus
from marketplace.privacy.models import ClosedAccount
from marketplace.tasks.models import Adjustment, AdjustmentStatus, Task, TaskStatus
from marketplace.tasks.shared_writes import clear_private_text

# The ledger, payments and payouts are kept this long after closure (tax and payment records).
KEEP_FOR = timedelta(days=7 * 365)
FINAL = {TaskStatus.completed, TaskStatus.cancelled, TaskStatus.rejected}
UNDECIDED = {AdjustmentStatus.pending, AdjustmentStatus.disputed}
HELD = {PaymentStatus.pending, PaymentStatus.authorized}

DELETE, KEEP = "delete", "keep"
# Every table with a column naming a user: what closure does with the rows naming the person, and
# why it is kept when it is. `tests/service/test_account_closure.py` fails for a table not named.
USER_LINKED: dict[str, tuple[str, str]] = {
    "api_tokens": (DELETE, ""),
    "web_sessions": (DELETE, ""),
    "two_factor": (DELETE, ""),
    "recovery_codes": (DELETE, ""),
    "known_devices": (DELETE, ""),
    "sign_in_links": (DELETE, ""),
    "notification_prefs": (DELETE, ""),
    "notifications": (DELETE, "their email rows; copies quoting them in others' rows are deleted too"),
    "webhook_endpoints": (DELETE, "with their secrets and deliveries"),
    "thread_reads": (DELETE, ""),
    "messages": (DELETE, "every message of a conversation they took part in, both sides"),
    "stripe_customers": (DELETE, "the link to a saved card"),
    "idempotency_keys": (DELETE, ""),
    "data_exports": (DELETE, "their data archives, held in the row"),
    "tasker_skills": (DELETE, ""),
    "tasker_region_rates": (DELETE, ""),
    "tasker_regions": (DELETE, ""),
    "tasker_licenses": (DELETE, ""),
    "connections": (DELETE, ""),
    "blocks": (DELETE, ""),
    "closed_accounts": (KEEP, "the record of the closure itself"),
    "tasks": (KEEP, "the ledger's tasks; description, address and access notes cleared"),
    "task_steps": (KEEP, "a task's history; their own notes cleared"),
    "adjustments": (KEEP, "a claim is part of the payment record"),
    "payments": (KEEP, "payment records (the law)"),
    "payout_accounts": (KEEP, "payout records (tax)"),
    "reviews": (KEEP, "ratings feed reputation; a comment about them cleared, theirs kept"),
    "client_reviews": (KEEP, "as reviews"),
    "endorsements": (KEEP, "public contributions; the text about them cleared"),
    "handoff_offers": (KEEP, "hand-off history; the notes cleared"),
    "questions": (KEEP, "public contributions, under a former tasker"),
    "answers": (KEEP, "public contributions"),
    "tips": (KEEP, "public contributions"),
    "guides": (KEEP, "public contributions"),
    "tip_votes": (KEEP, "anonymous counts"),
    "answer_votes": (KEEP, "anonymous counts"),
    "guide_votes": (KEEP, "anonymous counts"),
    "reputation": (KEEP, "a projection of the events: a replay rebuilds it the same"),
    "floor_rules": (KEEP, "operators only, who are not closed here"),
    "operator_thread_reads": (KEEP, "operators only"),
}


def user_columns(table: Table) -> list[str]:
    """The columns of `table` that name a user (a foreign key to users.id)."""
    return [c.name for c in table.columns if any(fk.target_fullname == "users.id" for fk in c.foreign_keys)]


def user_linked_tables() -> dict[str, list[str]]:
    """Every table with a column naming a user, and those columns."""
    found = {t.name: user_columns(t) for t in SQLModel.metadata.sorted_tables}
    return {name: cols for name, cols in found.items() if cols and name != "users"}


def _title(task: Task) -> str:
    return f"“{task.title}”"


def refusals(session: Session, user: User) -> list[str]:
    """Why `user`'s account cannot be closed now, in their words; empty when it can."""
    if user.role == Role.operator:
        return [
            "An operator's account is not closed here: an operator's decisions (floors, rulings, refunds) "
            "are part of the records we keep. Ask another operator to remove your access."
        ]
    reasons: list[str] = []
    mine = or_(col(Task.client_id) == user.id, col(Task.tasker_id) == user.id)
    for task in session.exec(select(Task).where(mine, col(Task.status).not_in(FINAL)).order_by(col(Task.id))):
        if task.client_id == user.id:
            reasons.append(f"Your task {_title(task)} is still open: wait until it is done, or cancel it.")
        else:
            reasons.append(f"The task you hold, {_title(task)}, is still open: complete it or give it back first.")
    waiting = select(Task).where(
        col(Task.addressed_to_id) == user.id, col(Task.tasker_id).is_(None), col(Task.status).not_in(FINAL)
    )
    for task in session.exec(waiting):
        reasons.append(f"A client asked you to take {_title(task)} again: decline it first.")
    involved = select(Task.id).where(mine)
    claims = select(Adjustment, Task).join(Task, col(Task.id) == Adjustment.task_id)
    for claim, task in session.exec(
        claims.where(col(Adjustment.task_id).in_(involved), col(Adjustment.status).in_(UNDECIDED))
    ).all():
        state = "waits for an answer" if claim.status == AdjustmentStatus.pending else "is disputed"
        reasons.append(f"The claim for extra time on {_title(task)} {state}: it must be decided first.")
    holds = select(Payment, Task).join(Task, col(Task.id) == Payment.task_id)
    for _, task in session.exec(holds.where(col(Payment.client_id) == user.id, col(Payment.status).in_(HELD))).all():
        reasons.append(f"The card payment for {_title(task)} is not settled yet (held, not charged or released).")
    calls = select(Task).where(
        col(Task.id).in_(select(PaymentCall.task_id).where(col(PaymentCall.status).in_(OPEN))),
        col(Task.id).in_(involved),
    )
    for task in session.exec(calls):
        reasons.append(f"A payment on {_title(task)} is still being processed: try again in a few minutes.")
    owed = (
        select(Task, func.sum(col(LedgerEntry.amount)))
        .join(LedgerEntry, col(LedgerEntry.task_id) == Task.id)
        .where(col(Task.tasker_id) == user.id, col(LedgerEntry.account) == "tasker_payable")
        .group_by(col(Task.id))
        .having(func.sum(col(LedgerEntry.amount)) != 0)
    )
    for task, _ in session.exec(owed).all():
        reasons.append(
            f"We still owe you the payout for {_title(task)}: set up payouts (or wait for the transfer) first."
        )
    return reasons


def _clear_private_text(session: Session, user: User) -> list[str]:
    """Clear the private text the kept rows hold about `user`, each by the package owning the row;
    the text cleared (to find copies)."""
    said = clear_private_text(session, user)
    clear_words_about(session, user.id)
    return said


def _delete_rows(session: Session, user: User, linked: dict[str, list[str]]) -> None:
    """Delete every row naming `user` in the tables USER_LINKED deletes from (any other table with
    a user column too: deleting is the safe side, and the test names it), children first."""
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    delete_deliveries_to(session, user.id)
    for table in reversed(SQLModel.metadata.sorted_tables):  # children before parents
        columns = linked.get(table.name)
        if not columns or USER_LINKED.get(table.name, (DELETE, ""))[0] != DELETE:
            continue
        session.execute(delete(tables[table.name]).where(or_(*(table.c[c] == user.id for c in columns))))


def close_account(uow: UnitOfWork, user: User, password: str, keep_for: timedelta = KEEP_FOR) -> ClosedAccount:
    """Close `user`'s account, confirmed with their password: Invalid for a wrong one, Conflict
    naming every reason while it cannot be closed (`refusals`). The caller commits."""
    session = uow.session
    if not check_password(user.password_hash, password or ""):
        raise Invalid("Check your password.", {"password": ["That is not your password."]})
    return _close(session, user, keep_for)


def close_account_by_operator(uow: UnitOfWork, user: User, keep_for: timedelta = KEEP_FOR) -> ClosedAccount:
    """The same, asked for by the person through support (the CLI): no password to confirm."""
    return _close(uow.session, user, keep_for)


def _close(session: Session, user: User, keep_for: timedelta) -> ClosedAccount:
    if session.get(ClosedAccount, user.id) is not None:
        raise Conflict("This account is already closed.")
    reasons = refusals(session, user)
    if reasons:
        raise Conflict("Your account cannot be closed yet.", {"account": reasons})
    linked = user_linked_tables()
    mine = or_(col(Message.sender_id) == user.id, col(Message.recipient_id) == user.id)
    words = [m for m in session.exec(select(Message.body).where(mine)) if m.strip()]
    said = _clear_private_text(session, user)
    name = user.display_name if user.display_name != f"{user.role.capitalize()} {user.id}" else ""
    who = [n for n in (user.email, name, *said) if n.strip()]
    delete_copies(session, who, words)  # copies held for other people: email rows, webhook deliveries
    _delete_rows(session, user, linked)
    now = utcnow()
    closed = ClosedAccount(user_id=user.id, role=user.role, closed_at=now, keep_until=now + keep_for)
    make_tombstone(session, user)
    session.add(closed)
    session.flush()
    return closed


def closed_at(session: Session, user_id: int) -> datetime | None:
    row = session.get(ClosedAccount, user_id)
    return row.closed_at if row is not None else None


def is_closed(session: Session, user_id: int) -> bool:
    return session.get(ClosedAccount, user_id) is not None
