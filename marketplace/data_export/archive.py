"""What the archive holds: one JSON file per kind, every row about the person, and nothing about
anyone else. The rule for a row two people share (a task, a message, a review, a connection):
the person's own words and figures are there; the other side is an id or a role label, and its
words are left out (a message the person received is its time and sender's role, never its text;
a task the person worked is its category, region, times and money, never its client's title,
description or address). What others wrote about the person in public (a revealed review, an
endorsement) is theirs to know and is kept, its author an id.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from marketplace.accounts.devices import KnownDevice
from marketplace.accounts.models import ApiToken, TwoFactor, User, WebSession
from marketplace.community.models import Answer, AnswerVote, Guide, GuideVote, Question, Reputation, Tip, TipVote
from marketplace.conversations.models import Message
from marketplace.network.models import Block, Connection, Endorsement, HandoffOffer
from marketplace.notifications.models import Notification, NotificationPref
from marketplace.notifications.webhooks import WebhookEndpoint
from marketplace.payments.models import LedgerEntry, Payment, PayoutAccount
from marketplace.taskers.models import TaskerLicense, TaskerRegion, TaskerRegionRate, TaskerSkill
from marketplace.tasks.models import Adjustment, ClientReview, Review, Task, TaskQuote, TaskStep

Rows = dict[str, Any]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _fields(row: Any, *names: str) -> Rows:
    return {name: _plain(getattr(row, name)) for name in names}


def profile(session: Session, user: User) -> Rows:
    tokens = session.exec(select(ApiToken).where(col(ApiToken.user_id) == user.id).order_by(col(ApiToken.id))).all()
    return {
        "account": _fields(user, "id", "email", "display_name", "role", "is_active", "created_at"),
        "skills": [
            _fields(s, "category", "rate")
            for s in session.exec(select(TaskerSkill).where(col(TaskerSkill.tasker_id) == user.id))
        ],
        "regions": [r.region for r in session.exec(select(TaskerRegion).where(col(TaskerRegion.tasker_id) == user.id))],
        "region_rates": [
            {k: _plain(v) for k, v in r.model_dump().items() if k != "tasker_id"}
            for r in session.exec(select(TaskerRegionRate).where(col(TaskerRegionRate.tasker_id) == user.id))
        ],
        "licenses": [
            _fields(lic, "category", "verified_at")
            for lic in session.exec(select(TaskerLicense).where(col(TaskerLicense.tasker_id) == user.id))
        ],
        "email_preferences": [
            _fields(p, "kind", "mode", "updated_at")
            for p in session.exec(select(NotificationPref).where(col(NotificationPref.user_id) == user.id))
        ],
        "reputation": [
            _fields(r, "category", "rating_sum", "rating_count", "accepted", "completed", "tasker_cancelled", "tier")
            | _fields(r, "score", "updated_at")
            for r in session.exec(select(Reputation).where(col(Reputation.tasker_id) == user.id))
        ],
        # Never a token's hash, a session's cookie, a device's key, a two-factor secret or a
        # webhook's signing secret: what they are and when, not the keys.
        "two_factor_on": bool((two := session.get(TwoFactor, user.id)) and two.confirmed_at),
        "api_tokens": [
            {k: _plain(v) for k, v in t.model_dump().items() if k in ("id", "name", "client") or k.endswith("_at")}
            for t in tokens
        ],
        "web_sessions": [
            _fields(w, "created_at", "last_used_at", "client")
            for w in session.exec(select(WebSession).where(col(WebSession.user_id) == user.id))
        ],
        "devices": [
            _fields(d, "client", "first_seen_at", "last_seen_at")
            for d in session.exec(select(KnownDevice).where(col(KnownDevice.user_id) == user.id))
        ],
        "webhook_endpoints": [
            _fields(w, "id", "url", "kinds", "status", "disabled_reason", "created_at")
            for w in session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.tasker_id) == user.id))
        ],
    }


def _side(task: Task, user_id: int) -> str:
    if task.client_id == user_id:
        return "client"
    return "tasker" if task.tasker_id == user_id else "former tasker or addressee"


def tasks(session: Session, user: User) -> list[Rows]:
    mine = or_(
        col(Task.client_id) == user.id,
        col(Task.tasker_id) == user.id,
        col(Task.handed_from_id) == user.id,
        col(Task.addressed_to_id) == user.id,
        col(Task.id).in_(select(TaskStep.task_id).where(col(TaskStep.actor_id) == user.id)),
    )
    out = []
    for task in session.exec(select(Task).where(mine).order_by(col(Task.id))):
        side = _side(task, user.id)
        row = {
            "you_were": side,
            **_fields(task, "id", "category", "region", "status", "estimated_minutes", "starts_at", "posted_at"),
            **_fields(task, "priced_at", "accepted_at", "started_at", "completed_at", "cancelled_at", "cancelled_by"),
            **_fields(task, "minutes_worked", "payment_status", "client_id", "tasker_id", "handed_from_id"),
        }
        if side == "client":  # the client's own words; a tasker's archive never holds them
            row |= _fields(task, "title", "description", "area", "address", "access_notes", "offered_rate")
            row |= _fields(task, "handoffs_allowed", "addressed_to_id", "only_addressed", "rejection_reason")
        row["prices"] = [
            _fields(q, "kind", "rate", "billable_minutes", "subtotal", "service_fee", "trust_fee", "total", "payout")
            for q in session.exec(select(TaskQuote).where(col(TaskQuote.task_id) == task.id))
        ]
        row["history"] = [
            {
                **_fields(s, "kind", "at", "by"),
                "by_you": s.actor_id == user.id,
                "note": s.note if s.actor_id == user.id else "",  # a reason is its giver's words
            }
            for s in session.exec(select(TaskStep).where(col(TaskStep.task_id) == task.id).order_by(col(TaskStep.id)))
        ]
        claim = session.get(Adjustment, task.id)
        if claim is not None and side in ("client", "tasker"):
            row["extra_time_claim"] = {
                **_fields(claim, "minutes_claimed", "booked_total", "claimed_total", "status", "requested_at"),
                "reason": claim.reason if claim.tasker_id == user.id else "",
            }
        out.append(row)
    return out


def messages(session: Session, user: User) -> list[Rows]:
    query = select(Message, Task).join(Task, col(Task.id) == col(Message.task_id))
    query = query.where(or_(col(Message.sender_id) == user.id, col(Message.recipient_id) == user.id))
    out = []
    for message, task in session.exec(query.order_by(col(Message.id))):
        sent = message.sender_id == user.id
        row = {"id": message.id, "task_id": message.task_id, "sent_at": _plain(message.sent_at)}
        if sent:
            row |= {"direction": "sent", "to": "client" if message.recipient_id == task.client_id else "tasker"}
            row |= {"body": message.body, "masked": message.masked}
        else:  # another person's words: the fact of it, never the text
            row |= {"direction": "received", "from": "client" if message.sender_id == task.client_id else "tasker"}
        out.append(row)
    return out


def reviews(session: Session, user: User) -> Rows:
    def given(model, me: str, other: str) -> list[Rows]:
        rows = session.exec(select(model).where(col(getattr(model, me)) == user.id).order_by(col(model.id)))
        return [_fields(r, "task_id", other, "rating", "comment", "created_at", "revealed_at") for r in rows]

    def received(model, me: str, other: str) -> list[Rows]:
        query = select(model).where(col(getattr(model, me)) == user.id, col(model.revealed_at).is_not(None))
        return [
            _fields(r, "task_id", other, "rating", "comment", "revealed_at")
            for r in session.exec(query.order_by(col(model.id)))
        ]

    return {
        "given": given(Review, "client_id", "tasker_id") + given(ClientReview, "tasker_id", "client_id"),
        # Hidden until both sides have written or the window passed: a hidden one is not yet the person's to read.
        "received": received(Review, "tasker_id", "client_id") + received(ClientReview, "client_id", "tasker_id"),
    }


def payments(session: Session, user: User) -> list[Rows]:
    rows = session.exec(select(Payment).where(col(Payment.client_id) == user.id).order_by(col(Payment.task_id)))
    names = ("task_id", "status", "currency", "amount_authorized", "amount_captured", "amount_refunded")
    return [_fields(p, *names, "payment_method", "authorized_at", "updated_at") for p in rows]


def payouts(session: Session, user: User) -> Rows:
    account = session.get(PayoutAccount, user.id)
    held = select(Task.id).where(col(Task.tasker_id) == user.id)
    entries = session.exec(
        select(LedgerEntry)
        .where(col(LedgerEntry.task_id).in_(held), col(LedgerEntry.account).startswith("tasker_"))
        .order_by(col(LedgerEntry.id))
    )
    return {
        "payout_account": account.account_id if account else None,
        "entries": [_fields(e, "task_id", "posting", "account", "amount", "created_at") for e in entries],
    }


def notifications(session: Session, user: User) -> list[Rows]:
    # The kind, subject and delivery of each email; not its body, which may quote others' words,
    # nor a link with a token in it (this archive's own email among them).
    rows = session.exec(
        select(Notification).where(col(Notification.recipient_id) == user.id).order_by(col(Notification.id))
    )
    names = ("id", "kind", "channel", "to_address", "subject", "status", "created_at", "sent_at")
    return [_fields(n, *names) for n in rows]


def endorsements(session: Session, user: User) -> Rows:
    def of(column) -> list[Rows]:
        rows = session.exec(select(Endorsement).where(col(column) == user.id).order_by(col(Endorsement.id)))
        names = ("id", "endorser_id", "endorsee_id", "category", "text", "given_at", "active", "withdrawn_at")
        return [_fields(e, *names, "revoked_at") for e in rows]

    return {"given": of(Endorsement.endorser_id), "received": of(Endorsement.endorsee_id)}


def questions_and_answers(session: Session, user: User) -> Rows:
    asked = session.exec(select(Question).where(col(Question.author_id) == user.id).order_by(col(Question.id)))
    answered = session.exec(select(Answer).where(col(Answer.author_id) == user.id).order_by(col(Answer.id)))
    votes = session.exec(select(AnswerVote).where(col(AnswerVote.voter_id) == user.id).order_by(col(AnswerVote.id)))
    return {
        "questions": [
            _fields(q, "id", "category", "title", "body_markdown", "accepted_answer_id", "hidden", "created_at")
            for q in asked
        ],
        "answers": [
            _fields(a, "id", "question_id", "category", "body_markdown", "helpful", "unhelpful", "hidden", "created_at")
            for a in answered
        ],
        "votes": [_fields(v, "answer_id", "helpful", "created_at") for v in votes],
    }


def tips(session: Session, user: User) -> Rows:
    written = session.exec(select(Tip).where(col(Tip.author_id) == user.id).order_by(col(Tip.id)))
    votes = session.exec(select(TipVote).where(col(TipVote.voter_id) == user.id).order_by(col(TipVote.id)))
    guides = session.exec(select(Guide).where(col(Guide.author_id) == user.id).order_by(col(Guide.id)))
    guide_votes = session.exec(select(GuideVote).where(col(GuideVote.voter_id) == user.id))
    return {
        "tips": [_fields(t, "id", "category", "title", "body_markdown", "hidden", "created_at") for t in written],
        "votes": [_fields(v, "tip_id", "helpful", "created_at") for v in votes],
        "guides": [_fields(g, "id", "category", "title", "intro_markdown", "helpful", "created_at") for g in guides],
        "guide_votes": [_fields(v, "guide_id", "created_at") for v in guide_votes],
    }


def network(session: Session, user: User) -> Rows:
    links = session.exec(
        select(Connection).where(or_(col(Connection.low_id) == user.id, col(Connection.high_id) == user.id))
    )
    blocks = session.exec(select(Block).where(col(Block.blocker_id) == user.id))
    offers = session.exec(
        select(HandoffOffer)
        .where(or_(col(HandoffOffer.from_tasker_id) == user.id, col(HandoffOffer.to_tasker_id) == user.id))
        .order_by(col(HandoffOffer.id))
    )
    return {
        "connections": [
            {
                "with": c.high_id if c.low_id == user.id else c.low_id,
                "asked_by_you": c.requested_by == user.id,
                **_fields(c, "status", "requested_at", "accepted_at"),
            }
            for c in links
        ],
        "blocked": [_fields(b, "blocked_id", "created_at") for b in blocks],
        "handoff_offers": [
            {
                **_fields(o, "id", "task_id", "from_tasker_id", "to_tasker_id", "status", "offered_at", "decided_at"),
                "note": o.note if o.from_tasker_id == user.id else "",
            }
            for o in offers
        ],
    }


# The archive's files, in the order they are written (and counted on the progress bar).
KINDS: list[tuple[str, Callable[[Session, User], Any]]] = [
    ("profile", profile),
    ("tasks", tasks),
    ("messages", messages),
    ("reviews", reviews),
    ("payments", payments),
    ("payouts", payouts),
    ("notifications", notifications),
    ("endorsements", endorsements),
    ("questions_and_answers", questions_and_answers),
    ("tips", tips),
    ("network", network),
]

README = """Your Floorboard data, as JSON: one file per kind.

Other people appear only as an id or as their part in a task ("client", "tasker"). The words
they wrote to you (messages, a task's description and address when you were its tasker) are not
here: they are theirs. What they wrote about you in public (a revealed review, an endorsement) is.
Times are in UTC (ISO 8601); money is in cents.
"""


def zipped(parts: dict[str, Any], written_at: datetime) -> bytes:
    """The archive: README.txt and <kind>.json for each part, deflated."""
    buffer = io.BytesIO()
    stamp = written_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("README.txt", stamp), README)
        for name, part in parts.items():
            text = json.dumps(part, indent=2, ensure_ascii=False, default=str)
            archive.writestr(zipfile.ZipInfo(f"{name}.json", stamp), text, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
