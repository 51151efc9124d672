"""Who hears of each event, and what they read: an email row per (event, recipient), its letter
written by the event's kind in the registry (kinds/), as each recipient asked (instant: pending
for the mailer; digest: kept for the daily digest; off: none). A row keeps its letter, and the
mailer renders it when it sends it (letters.render_row).

The notifications group hands each event to `deliver` in the unit of work that marks it processed;
the rows are planned and written together when that unit of work commits (one read per table for
the batch's tasks, people and preferences, and one bulk write), so they land with the processed
mark or not at all. That mark is what keeps a redelivered event from being written twice; the
unique (event, recipient, channel) key stands behind it. Sending is the mailer's job, after commit
(marketplace/notifications/sender.py).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from events.envelope import CloudEvent
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds import KINDS, MONEY, emailed_about
from marketplace.notifications.letters import Letter, kept, render
from marketplace.notifications.links import Links
from marketplace.notifications.models import DeliveryStatus, Mode, Notification
from marketplace.notifications.prefs import modes_of, unsubscribe_token

__all__ = ["Letter", "deliver", "plan", "render"]  # Letter and render: as webhook_sender imports them

# The people an event's payload may name, read with the batch.
PEOPLE = (
    "client_id",
    "tasker_id",
    "to_tasker_id",
    "from_tasker_id",
    "addressed_to_id",
    "sender_id",
    "recipient_id",
    "other_id",
    "endorser_id",
    "endorsee_id",
    "author_id",
)


def plan(session: Session, event: CloudEvent, links: Links) -> list[Letter]:
    """The letters an event calls for (none for most events of a shared topic, or for what the
    event is about when it is not there)."""
    if not emailed_about(event.type):
        return []
    facts = Facts(session, links)
    return _letters(facts, event, facts.view(event))


def letters_of(facts: Facts, kind_name: str, view: Any) -> list[Letter]:
    """The letters one kind writes for a view (an event's, or a sweep's): to each reader it names,
    about what its `about` finds (nothing if that is gone)."""
    kind = KINDS[kind_name]
    assert kind.hears is not None and kind.letter is not None, f"{kind_name} is not emailed"
    about = kind.about(view, facts)
    if about is None:
        return []
    return [
        Letter.to(user_id, kind.name, kind.letter(view, about, facts, reader))
        for reader, user_id in kind.hears(view, about, facts).items()
        if user_id is not None
    ]


def _letters(facts: Facts, event: CloudEvent, view: Any) -> list[Letter]:
    return [letter for kind in emailed_about(event.type) for letter in letters_of(facts, kind.name, view)]


def deliver(uow: UnitOfWork, event: CloudEvent, links: Links, secret: str, test_mode: bool = False) -> None:
    """Write, when `uow` commits, an email row per letter the event calls for (`secret` signs the
    unsubscribe links; `test_mode`: no payment provider is configured, and money letters say so).
    An event handed in twice in one unit of work is written once; the group's processed mark,
    committed with the rows, keeps a redelivered event from being written again."""
    batch: _Emails | None = uow.session.info.get(_Emails)
    if batch is None:
        batch = uow.session.info[_Emails] = _Emails(uow, links, secret, test_mode)
        uow.before_commit(_Emails, batch.write)
    batch.events.setdefault(event.id, event)


class _Emails:
    """One unit of work's events, written at its commit."""

    def __init__(self, uow: UnitOfWork, links: Links, secret: str, test_mode: bool = False):
        self.uow, self.links, self.secret, self.test_mode = uow, links, secret, test_mode
        self.events: dict[str, CloudEvent] = {}

    def write(self) -> None:
        session = self.uow.session
        del session.info[_Emails]  # a later event in this unit of work starts a new batch
        events = [e for e in self.events.values() if emailed_about(e.type)]
        if not events:
            return
        facts = Facts(session, self.links, self.test_mode)
        views = [facts.view(e) for e in events]
        facts.load({getattr(v, "task_id", None) for v in views}, {getattr(v, n, None) for v in views for n in PEOPLE})
        letters = [
            (event, letter)
            for event, view in zip(events, views, strict=True)
            for letter in _letters(facts, event, view)
        ]
        modes = modes_of(session, {letter.recipient_id for _, letter in letters})
        now = utcnow()
        for event, letter in letters:
            user = facts.user(letter.recipient_id)
            if user is None or not user.email or not user.is_active:
                continue
            mode = modes.get((user.id, letter.kind), KINDS[letter.kind].default)
            if mode == Mode.off:
                continue
            if mode == Mode.instant:
                self.uow.wake_on_commit(Notification.__tablename__)  # the mailer
            self.uow.stage(
                Notification.__table__,  # type: ignore[attr-defined]  # SQLModel sets it on table classes
                email_row(event.id, letter, user, mode, self.links, self.secret, now),
            )


def email_row(
    event_id: str, letter: Letter, user: User, mode: Mode, links: Links, secret: str, now: datetime
) -> dict[str, Any]:
    """The email row of a letter to `user` (instant: pending for the mailer; digest: kept for the
    daily digest), as the notifications table takes it. It keeps the letter, rendered when sent."""
    unsubscribe_url = "" if letter.kind in MONEY else links.unsubscribe(_token(secret, user.id, letter.kind))
    return {
        "event_id": event_id,
        "recipient_id": user.id,
        "channel": "email",
        "kind": letter.kind,
        "to_address": user.email,
        "subject": letter.subject,
        "text_body": "",  # rendered when sent (letters.render_row)
        "html_body": "",
        "letter": kept(letter, user),
        "status": (DeliveryStatus.digest if mode == Mode.digest else DeliveryStatus.pending).value,
        "attempts": 0,
        "unsubscribe_url": unsubscribe_url,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }


@lru_cache(maxsize=65_536)
def _token(secret: str, user_id: int, kind: str) -> str:
    """The same token every time for (user, kind): signed once, not once per letter."""
    return unsubscribe_token(secret, user_id, kind)
