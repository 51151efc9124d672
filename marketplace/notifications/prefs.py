"""Email preferences per user and kind (instant, a daily digest, or off), one-click unsubscribe
tokens, and the daily digest.

A kind nobody chose for is as its registry entry says (`Kind.default`): instant for most, off for
"a task in your feed", which a tasker turns on (and which comes at most `feed_emails_per_day` a
day). Account and money mail (a charge, a refund, a payout) cannot be switched off. An unsubscribe token
is signed with the app's secret and names one user and one kind: it switches off that kind for that
user, and nothing else, with no sign-in. The digest is built once a day per user, at the hour set
(UTC), from the rows kept for it: its own row's key is (user, day), so a re-run never sends it twice.
"""

from __future__ import annotations

from datetime import datetime, time

import orjson
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.errors import Invalid, NotFound
from marketplace.notifications.kinds import EMAILED, MONEY
from marketplace.notifications.kinds.feed import KIND as FEED_KIND
from marketplace.notifications.models import DeliveryStatus, Mode, Notification, NotificationPref

# What each kind is, in the words of the preferences page (the registry's emailed kinds, in its
# order); the money kinds are locked on.
KINDS: dict[str, str] = {name: kind.label for name, kind in EMAILED.items()}
MONEY_KINDS = MONEY
DIGEST_HOUR = 7  # the default of settings.digest_hour (UTC)
FEED_EMAILS_PER_DAY = 10  # the default of settings.feed_emails_per_day


def default_mode(kind: str) -> Mode:
    """How someone who chose nothing hears of a kind (the registry's `Kind.default`)."""
    return EMAILED[kind].default


def mode_of(session: Session, user_id: int, kind: str) -> Mode:
    row = session.get(NotificationPref, (user_id, kind))
    mode = Mode(row.mode) if row is not None else default_mode(kind)
    return Mode.instant if kind in MONEY_KINDS and mode == Mode.off else mode


def modes_of(session: Session, user_ids: set[int]) -> dict[tuple[int, str], Mode]:
    """The modes these users chose, by (user, kind), in one read; a kind not there is as its
    default (`default_mode`), and money kinds stay on."""
    if not user_ids:
        return {}
    rows = session.exec(select(NotificationPref).where(col(NotificationPref.user_id).in_(user_ids))).all()
    return {
        (row.user_id, row.kind): Mode.instant if row.kind in MONEY_KINDS and row.mode == Mode.off else Mode(row.mode)
        for row in rows
    }


def note(kind: str, per_day: int = FEED_EMAILS_PER_DAY) -> str:
    """What a person should know of a kind beside its label (empty for most)."""
    if kind == FEED_KIND:
        return (
            f"At most {per_day} a day: the last one says so, and the tasks that open after it wait in "
            "your feed. In the daily digest, they come together in one email."
        )
    if kind in MONEY_KINDS:
        return "Account and money emails always come."
    return ""


def preferences(
    session: Session, user_id: int, role: str | None = None, per_day: int = FEED_EMAILS_PER_DAY
) -> list[dict]:
    """Each kind a person of `role` may get (every kind if None), as they chose it or as its
    default, with the default and a note (`per_day`: settings.feed_emails_per_day)."""
    chosen = {
        row.kind: Mode(row.mode)
        for row in session.exec(select(NotificationPref).where(col(NotificationPref.user_id) == user_id))
    }
    shown = []
    for kind, label in KINDS.items():
        if role is not None and not EMAILED[kind].concerns(role):
            continue
        mode = chosen.get(kind, default_mode(kind))
        if kind in MONEY_KINDS and mode == Mode.off:
            mode = Mode.instant
        shown.append(
            {
                "kind": kind,
                "label": label,
                "mode": mode,
                "default": default_mode(kind),
                "locked": kind in MONEY_KINDS,
                "note": note(kind, per_day),
            }
        )
    return shown


def set_preferences(uow: UnitOfWork, user_id: int, modes: dict[str, str]) -> list[dict]:
    errors: dict[str, list[str]] = {}
    for kind, mode in modes.items():
        if kind not in KINDS:
            errors[kind] = [f"Unknown kind; one of: {', '.join(KINDS)}."]
        elif mode not in set(Mode):
            errors[kind] = ["instant, digest or off."]
        elif kind in MONEY_KINDS and mode == Mode.off:
            errors[kind] = ["Account and money emails cannot be switched off."]
    if errors:
        raise Invalid("Some preferences were not saved.", {"preferences": errors})
    session = uow.session
    now = utcnow()
    for kind, mode in modes.items():
        row = session.get(NotificationPref, (user_id, kind)) or NotificationPref(user_id=user_id, kind=kind)
        row.mode, row.updated_at = mode, now
        session.add(row)
    session.flush()
    return preferences(session, user_id)


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="floorboard-unsubscribe")


def unsubscribe_token(secret: str, user_id: int, kind: str) -> str:
    return _serializer(secret).dumps([user_id, kind])


def read_token(secret: str, token: str) -> tuple[int, str]:
    """(user id, kind) a token names, or NotFound for a forged or mangled one."""
    try:
        user_id, kind = _serializer(secret).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("This unsubscribe link is not valid.") from None
    if not isinstance(user_id, int) or kind not in KINDS:
        raise NotFound("This unsubscribe link is not valid.")
    return user_id, kind


def unsubscribe(uow: UnitOfWork, secret: str, token: str) -> tuple[User, str]:
    """Switch off the kind the token names, for its user; (the user, the kind's label)."""
    user_id, kind = read_token(secret, token)
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("This unsubscribe link is not valid.")
    if kind not in MONEY_KINDS:
        set_preferences(uow, user_id, {kind: Mode.off})
    return user, KINDS[kind]


def digest_due_at(day: datetime, hour: int) -> datetime:
    return datetime.combine(day.date(), time(hour), tzinfo=day.tzinfo)


def build_digests(uow: UnitOfWork, now: datetime, hour: int = DIGEST_HOUR) -> int:
    """From the digest hour on, one digest email per user with kept rows from before that hour;
    how many digests were written. The digest's row is keyed (user, day): never twice a day."""
    due_at = digest_due_at(now, hour)
    if now < due_at:
        return 0
    session = uow.session
    kept = session.exec(
        select(Notification)
        .where(col(Notification.status) == DeliveryStatus.digest, col(Notification.created_at) < due_at)
        .order_by(col(Notification.recipient_id), col(Notification.id))
    ).all()
    by_user: dict[int, list[Notification]] = {}
    for row in kept:
        by_user.setdefault(row.recipient_id, []).append(row)
    written = 0
    for user_id, rows in by_user.items():
        user = session.get(User, user_id)
        if user is None:
            continue
        day = f"{due_at:%Y-%m-%d}"
        items = [(r.subject, _link_of(r)) for r in rows]
        text = "\n".join(f"- {subject}" + (f"\n  {link}" if link else "") for subject, link in items)
        html = "".join(
            f'<li><a href="{_escape(link)}">{_escape(subject)}</a></li>' if link else f"<li>{_escape(subject)}</li>"
            for subject, link in items
        )
        written += insert_if_absent(
            session,
            Notification,
            event_id=f"digest:{day}",
            recipient_id=user_id,
            channel="email",
            kind="digest",
            to_address=user.email,
            subject=f"Your Floorboard day: {len(rows)} update{'' if len(rows) == 1 else 's'}",
            text_body=f"Hello {user.display_name},\n\nSince your last digest:\n\n{text}\n\n-- \nFloorboard\n",
            html_body=f"<p>Hello {_escape(user.display_name)},</p><p>Since your last digest:</p><ul>{html}</ul>",
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
            last_error="",
            unsubscribe_url="",
            created_at=now,
        )
        for row in rows:
            row.status = DeliveryStatus.digested
            session.add(row)
    session.flush()
    return written


def _link_of(row: Notification) -> str:
    """The page a kept letter links to (empty for a row written out in full)."""
    if not row.letter:
        return ""
    return str(orjson.loads(row.letter).get("link") or "")


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
