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

import html
import re
from datetime import datetime, timedelta

import orjson
from sqlalchemy import Table, delete, or_, update
from sqlmodel import Session, SQLModel, col, func, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import check_password
from marketplace.clock import utcnow
from marketplace.conversations.models import Message
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Invalid
from marketplace.network.models import Endorsement, HandoffOffer
from marketplace.notifications.models import Notification
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint
from marketplace.payments.calls import OPEN
from marketplace.payments.models import LedgerEntry, Payment, PaymentCall, PaymentStatus
from marketplace.privacy.models import ClosedAccount
from marketplace.tasks.models import Adjustment, AdjustmentStatus, ClientReview, Review, Task, TaskStatus, TaskStep

# The ledger, payments and payouts are kept this long after closure (tax and payment records).
KEEP_FOR = timedelta(days=7 * 365)
FINAL = {TaskStatus.completed, TaskStatus.cancelled, TaskStatus.rejected}
UNDECIDED = {AdjustmentStatus.pending, AdjustmentStatus.disputed}
HELD = {PaymentStatus.pending, PaymentStatus.authorized}
FORMER = {Role.client: "A former client", Role.tasker: "A former tasker"}
PLACEHOLDER_DOMAIN = "closed.invalid"  # RFC 2606: never delivered anywhere
NO_PASSWORD = "!closed"  # no hash: check_password never matches it

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


def _forms(needle: str) -> set[str]:
    """How a piece of text may be written in a stored copy: as it is, inside JSON, inside HTML."""
    return {needle, orjson.dumps(needle).decode()[1:-1], html.escape(needle, quote=False), html.escape(needle)}


def _like(needle: str) -> str:
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _mentions(text: str, needles: list[str]) -> bool:
    return any(
        re.search(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text) for needle in needles for form in _forms(needle)
    )


def _delete_copies(session: Session, model: type[SQLModel], columns: list[str], needles: list[str], kinds=None) -> int:
    """Delete the rows of `model` whose `columns` mention a needle as a whole word (a name is not
    found inside another word), optionally only rows of `kinds`: a prefilter in SQL, the check here."""
    if not needles:
        return 0
    table: Table = model.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
    forms = {form for needle in needles for form in _forms(needle)}
    prefilter = or_(*(table.c[c].like(_like(form), escape="\\") for c in columns for form in forms))
    query = select(table.c.id, *(table.c[c] for c in columns)).where(prefilter)
    if kinds is not None:
        query = query.where(table.c.kind.in_(kinds))
    doomed = [row[0] for row in session.execute(query).all() if _mentions(" ".join(map(str, row[1:])), needles)]
    for start in range(0, len(doomed), 500):
        session.execute(delete(table).where(table.c.id.in_(doomed[start : start + 500])))
    return len(doomed)


def _clear_private_text(session: Session, user: User) -> list[str]:
    """Clear the private text the kept rows hold about `user`; the text cleared (to find copies)."""
    said: list[str] = []
    for task in session.exec(select(Task).where(col(Task.client_id) == user.id)):
        said += [t for t in (task.address, task.access_notes, task.description) if t.strip()]
        task.address, task.access_notes, task.description, task.area = "", "", "", ""
        session.add(task)
    session.execute(update(TaskStep).where(col(TaskStep.actor_id) == user.id).values(note=""))
    if user.role == Role.client:  # what taskers wrote of them
        session.execute(update(ClientReview).where(col(ClientReview.client_id) == user.id).values(comment=""))
    else:  # what clients wrote of them
        session.execute(update(Review).where(col(Review.tasker_id) == user.id).values(comment=""))
    session.execute(update(Endorsement).where(col(Endorsement.endorsee_id) == user.id).values(text=""))
    # Their claims' reasons stay with the payment record; what they told the other side otherwise goes.
    offers = or_(col(HandoffOffer.from_tasker_id) == user.id, col(HandoffOffer.to_tasker_id) == user.id)
    session.execute(update(HandoffOffer).where(offers).values(note="", reason=""))
    return said


def _delete_rows(session: Session, user: User, linked: dict[str, list[str]]) -> None:
    """Delete every row naming `user` in the tables USER_LINKED deletes from (any other table with
    a user column too: deleting is the safe side, and the test names it), children first."""
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    endpoints = select(WebhookEndpoint.id).where(col(WebhookEndpoint.tasker_id) == user.id)
    session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id).in_(endpoints)))
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
    # Copies held for other people: their email rows and webhook deliveries.
    text_columns = ["subject", "text_body", "html_body", "letter"]
    _delete_copies(session, Notification, text_columns, who)
    _delete_copies(session, Notification, text_columns, words, kinds=["message.sent", "digest"])
    _delete_copies(session, WebhookDelivery, ["payload"], who)
    _delete_copies(session, WebhookDelivery, ["payload"], words, kinds=["message.sent"])
    _delete_rows(session, user, linked)
    now = utcnow()
    closed = ClosedAccount(user_id=user.id, role=user.role, closed_at=now, keep_until=now + keep_for)
    user.email = f"closed-{user.id}@{PLACEHOLDER_DOMAIN}"
    user.display_name = FORMER.get(Role(user.role), "A former member")
    user.password_hash = NO_PASSWORD
    user.is_active = False
    session.add_all([user, closed])
    session.flush()
    return closed


def closed_at(session: Session, user_id: int) -> datetime | None:
    row = session.get(ClosedAccount, user_id)
    return row.closed_at if row is not None else None


def is_closed(session: Session, user_id: int) -> bool:
    return session.get(ClosedAccount, user_id) is not None
