"""Who hears of each event, and what they read: an email per (event, recipient), rendered from the
Jinja layouts beside this module (a plain-text part and an HTML part, the HTML autoescaped).

The notifications group calls `plan` in the transaction that marks the event processed, and writes
one delivery row per recipient (`deliver`): a redelivered event finds its rows already there, so
nobody is told twice. Sending is the mailer's job, after commit (marketplace/notifications/sender.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel import Session

from events.envelope import CloudEvent
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.floors.zones import label, zone_of
from marketplace.notifications.models import DeliveryStatus, Mode, Notification
from marketplace.notifications.prefs import MONEY_KINDS, mode_of, unsubscribe_token
from marketplace.tasks.models import Task
from pricing.money import format_cents

_ENV = Environment(
    loader=PackageLoader("marketplace.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)


@dataclass
class Letter:
    recipient_id: int
    kind: str
    subject: str
    lines: list[str]
    link: str | None = None
    link_text: str = "Open it on Floorboard"


def held(session: Session, key: tuple, load):
    """`load()` once per unit of work: the identity map holds rows weakly, so a batch of events
    about the same people would otherwise read them again for every event. Changes made in other
    transactions during the batch are not seen, as they would not be by a batch that read first."""
    cache = session.info.setdefault("notifications", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


def _user(session: Session, user_id: int) -> User | None:
    return held(session, ("user", user_id), lambda: session.get(User, user_id))


def _when(session: Session, task: Task, at: datetime) -> str:
    """A moment on the task region's local clock, with the zone's abbreviation."""
    return label(at, _zone(session, task.region))


def _zone(session: Session, region: str) -> ZoneInfo:
    return held(session, ("zone", region), lambda: zone_of(session, region))


def _name(session: Session, user_id: int | None, unnamed: str = "a tasker") -> str:
    user = _user(session, user_id) if user_id else None
    return (user.display_name if user else "") or unnamed


def plan(session: Session, event: CloudEvent, base_url: str) -> list[Letter]:
    """The letters an event calls for (none for most events of a shared topic)."""
    d = event.data
    kind = event.type
    task = held(session, ("task", d["task_id"]), lambda: session.get(Task, d["task_id"])) if "task_id" in d else None
    title = f"“{task.title}”" if task is not None else f"task {d.get('task_id')}"
    client_page = f"{base_url}/tasks/{d['task_id']}" if "task_id" in d else None
    api_task = f"{base_url}/api/v1/tasks/{d['task_id']}" if "task_id" in d else None
    if kind == "review.submitted":
        if d.get("by") is None:  # from before double-blind reviews: shown at once, with its stars
            stars = "★" * d["rating"] + "☆" * (5 - d["rating"])
            lines = [f"A client reviewed your work: {stars}"] + ([f"“{d['comment']}”"] if d["comment"] else [])
            profile = f"{base_url}/taskers/{d['tasker_id']}"
            return [Letter(d["tasker_id"], kind, f"A new review: {d['rating']} of 5", lines, profile, "Your profile")]
        # Never the stars: both reviews are shown together, later.
        other, who = (d["tasker_id"], "Your client") if d["by"] == "client" else (d["client_id"], "Your tasker")
        page = client_page if d["by"] == "tasker" else api_task
        return [
            Letter(
                other,
                kind,
                f"{who} reviewed {title}",
                [
                    f"{who} wrote a review of {title}. Write yours: both are shown together once it is in, "
                    "or 14 days after completion. Until then no one reads either.",
                ],
                page,
            )
        ]
    if kind == "review.revealed":
        letters = []
        for rating, to, page, about in (
            (d["tasker_rating"], d["tasker_id"], f"{base_url}/taskers/{d['tasker_id']}", "your client"),
            (d["client_rating"], d["client_id"], client_page, "your tasker"),
        ):
            if rating is None:
                continue
            stars = "★" * rating + "☆" * (5 - rating)
            letters.append(Letter(to, kind, f"The reviews of {title} are shown", [f"From {about}: {stars}"], page))
        return letters
    if task is None:  # every other kind is about a task
        return []
    if kind == "task.priced":
        if d["status"] == "priced" and d["quote"]:
            total = format_cents(d["quote"]["total"])
            letters = [
                Letter(
                    task.client_id,
                    kind,
                    f"Your task {title} is priced: {total}",
                    [
                        f"Your task {title} is priced at {total}, from the category's floor.",
                        "Book it to offer it to taskers.",
                    ],
                    client_page,
                )
            ]
            if task.addressed_to_id is not None and task.addressed_until is not None:
                client = _name(session, task.client_id, "A client")
                letters.append(
                    Letter(
                        task.addressed_to_id,
                        "task.rebooked",
                        f"{client} asks for you again: {title}",
                        [
                            f"{client} booked you again for {title} ({format_cents(d['quote']['payout'])} to you), "
                            f"which starts {_when(session, task, task.starts_at)}.",
                            f"It is yours alone until {_when(session, task, task.addressed_until)}, once the client's "
                            "card is held: accept it from your feed, or decline it "
                            f"(POST /api/v1/tasks/{task.id}/decline).",
                        ],
                        api_task,
                        "The task",
                    )
                )
            return letters
        return [
            Letter(
                task.client_id,
                kind,
                f"Your task {title} could not be priced",
                [
                    f"We could not price your task {title}: {d['reason']}",
                ],
                client_page,
            )
        ]
    if kind == "task.accepted":
        return [
            Letter(
                task.client_id,
                kind,
                f"{_name(session, d['tasker_id'])} accepted {title}",
                [
                    f"{_name(session, d['tasker_id'])} accepted your task {title}, "
                    f"which starts {_when(session, task, task.starts_at)}.",
                ],
                client_page,
            )
        ]
    if kind == "task.started":
        return [
            Letter(
                task.client_id,
                kind,
                f"{title} has started",
                [
                    f"{_name(session, d['tasker_id'])} started your task {title} at {_when(session, task, d['at'])}.",
                ],
                client_page,
            )
        ]
    if kind == "task.completed":
        q = d["quote"]
        return (
            [
                Letter(
                    task.client_id,
                    kind,
                    f"{title} is done: {format_cents(q['total'])}",
                    [
                        f"Your task {title} is done after {d['minutes_worked']} minutes; the final price is "
                        f"{format_cents(q['total'])}.",
                        "You can review your tasker on the task's page.",
                    ],
                    client_page,
                ),
                Letter(
                    d["tasker_id"],
                    kind,
                    f"{title} is complete: {format_cents(q['payout'])} for you",
                    [
                        f"You completed {title}; your payout is {format_cents(q['payout'])}.",
                    ],
                    api_task,
                    "The task",
                ),
            ]
            if d["tasker_id"]
            else []
        )
    if kind == "task.cancelled":
        if d["cancelled_by"] == "client" and d["tasker_id"]:
            fee = d["fee"]
            lines = [f"The client cancelled {title}."]
            if fee:
                lines.append(f"It was late, so you are paid one billable hour: {format_cents(fee['payout'])}.")
            return [Letter(d["tasker_id"], kind, f"{title} was cancelled", lines, api_task, "The task")]
        if d["cancelled_by"] == "tasker":
            return [
                Letter(
                    task.client_id,
                    kind,
                    f"Your tasker gave {title} back",
                    [
                        f"{_name(session, d['tasker_id'])} gave your task {title} back: “{d['reason']}”.",
                        "It is on offer to other taskers again.",
                    ],
                    client_page,
                )
            ]
        return []
    if kind == "task.adjustment_requested":
        extra = d["claimed"]["total"] - d["booked"]["total"]
        return [
            Letter(
                task.client_id,
                kind,
                f"Your tasker asks for {format_cents(extra)} more on {title}",
                [
                    f"{_name(session, d['tasker_id'])} worked {d['minutes_worked']} minutes on {title} and asks for "
                    f"{format_cents(extra)} more than you booked.",
                    f"Approve or dispute it by {_when(session, task, d['due_at'])}; "
                    "if you do nothing, you pay only what you booked.",
                ],
                client_page,
            )
        ]
    if kind == "task.adjustment_decided":
        status = d["status"]
        words = {
            "approved": "The client approved your claim for extra time",
            "disputed": "The client disputed your claim for extra time; an operator will rule on it",
            "expired": "The client did not answer your claim in time: the booked amount stands",
            "upheld": "An operator ruled for you on your claim",
            "rejected": "An operator ruled for the client on your claim: the booked amount stands",
        }[status]
        return [
            Letter(
                d["tasker_id"], kind, f"Your claim on {title}: {status}", [f"{words} ({title})."], api_task, "The task"
            )
        ]
    if kind == "task.handoff_offered":
        return [
            Letter(
                d["to_tasker_id"],
                kind,
                f"{_name(session, d['tasker_id'])} offers you {title}",
                [
                    f"{_name(session, d['tasker_id'])} can't do {title} "
                    f"(starts {_when(session, task, task.starts_at)}) and offers it to you, at the same price.",
                    f"Take it before {_when(session, task, d['expires_at'])}: "
                    f"POST /api/v1/handoffs/{d['offer_id']}/accept.",
                ],
                f"{base_url}/api/v1/taskers/me/handoffs",
                "Your offers",
            )
        ]
    if kind == "task.rebooking_closed":
        who = _name(session, d["addressed_to_id"])
        why = "declined it" if d["reason"] == "declined" else "did not answer in time"
        then = (
            "It is now open to every tasker who does this work."
            if d["reopened"]
            else "You asked for them only, so it is cancelled, free of charge: your card hold is released."
        )
        return [
            Letter(
                task.client_id,
                kind,
                f"{who} can't take {title}",
                [f"You booked {who} again for {title}, and they {why}.", then],
                client_page,
            )
        ]
    if kind == "task.handed_off":
        return [
            Letter(
                task.client_id,
                kind,
                f"{title} was handed to {_name(session, d['tasker_id'])}",
                [
                    f"{_name(session, d['from_tasker_id'])} could not do your task {title} and handed it to "
                    f"{_name(session, d['tasker_id'])}, at the same price.",
                    "You did not choose them, so you may cancel free of charge for the next 12 hours.",
                ],
                client_page,
            )
        ]
    if kind == "payment.captured":
        return [
            Letter(
                task.client_id,
                kind,
                f"Charged {format_cents(d['amount'])} for {title}",
                [
                    f"We charged {format_cents(d['amount'])} for {title}.",
                ],
                client_page,
            )
        ]
    if kind == "payment.refunded":
        return [
            Letter(
                task.client_id,
                kind,
                f"Refunded {format_cents(d['amount'])} for {title}",
                [
                    f"We refunded {format_cents(d['amount'])} for {title}.",
                ],
                client_page,
            )
        ]
    if kind == "payment.transferred" and task.tasker_id:
        return [
            Letter(
                task.tasker_id,
                kind,
                f"Paid out {format_cents(d['amount'])} for {title}",
                [
                    f"We paid {format_cents(d['amount'])} for {title} to your payout account.",
                ],
                f"{base_url}/api/v1/taskers/me/payouts",
                "Your payouts",
            )
        ]
    if kind == "message.sent":
        author = _user(session, d["sender_id"])
        sender = _name(session, d["sender_id"]) if author is not None and author.role == "tasker" else "Your client"
        recipient = _user(session, d["recipient_id"])
        link = client_page if recipient is not None and recipient.role == "client" else f"{api_task}/messages"
        return [
            Letter(d["recipient_id"], kind, f"A message about {title}", [f"{sender} wrote:", d["body"]], link, "Answer")
        ]
    return []


def render(letter: Letter, user: User, unsubscribe_url: str = "") -> tuple[str, str]:
    """(plain text, HTML) for a letter to `user`."""
    context = {
        "subject": letter.subject,
        "greeting": f"Hello {user.display_name}," if user.display_name else "Hello,",
        "lines": letter.lines,
        "link": letter.link,
        "link_text": letter.link_text,
        "unsubscribe_url": unsubscribe_url,
    }
    return _ENV.get_template("email.txt").render(context), _ENV.get_template("email.html").render(context)


def deliver(uow: UnitOfWork, event: CloudEvent, base_url: str, secret: str) -> int:
    """Write an email row per letter the event calls for, as each recipient asked (instant:
    pending for the mailer; digest: kept for the daily digest; off: none); how many are new."""
    session = uow.session
    written, now = 0, utcnow()
    for letter in plan(session, event, base_url):
        user = _user(session, letter.recipient_id)
        if user is None or not user.email or not user.is_active:
            continue
        user_id, kind = user.id, letter.kind
        mode = held(session, ("mode", user_id, kind), lambda: mode_of(session, user_id, kind))  # noqa: B023 - called at once
        if mode == Mode.off:
            continue
        unsubscribe_url = ""
        if letter.kind not in MONEY_KINDS:
            unsubscribe_url = f"{base_url}/unsubscribe/{unsubscribe_token(secret, user.id, letter.kind)}"
        text, html = render(letter, user, unsubscribe_url)
        written += insert_if_absent(
            session,
            Notification,
            event_id=event.id,
            recipient_id=user.id,
            channel="email",
            kind=letter.kind,
            to_address=user.email,
            subject=letter.subject[:200],
            text_body=text,
            html_body=html,
            status=DeliveryStatus.digest if mode == Mode.digest else DeliveryStatus.pending,
            attempts=0,
            unsubscribe_url=unsubscribe_url,
            next_attempt_at=now,
            last_error="",
            created_at=now,
        )
    return written
