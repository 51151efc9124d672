"""The devices a person signs in from: a readable name for a client ("Firefox on Android") and the
devices already seen, so that a sign-in from a new one is news.

A browser is known by a long-lived random cookie (DEVICE_COOKIE) whose SHA-256 is kept per user;
an app asking the API for a token, which keeps no cookie, by its User-Agent (its SHA-256 too). A
sign-in whose device the user has not signed in from before writes an email to them (when, the
client, and where to end it: kinds/account_security.py), sent by the mailer after commit. The first
sign-in of an account that has no known device yet (just after signup) writes none: there is no
"before" for it to differ from.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from functools import lru_cache

from sqlmodel import Field, Session, SQLModel, col, select, update

from events.sqltypes import UTCDateTime
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import insert_if_absent

DEVICE_COOKIE = "fb_device"
DEVICE_COOKIE_DAYS = 400  # the longest a browser keeps a cookie (Chrome caps it there)
CLIENT_MAX = 120  # ApiToken.client / WebSession.client


class KnownDevice(SQLModel, table=True):
    """A device a user has signed in from: its key's SHA-256 (a browser's device cookie, or
    "ua:" + an app's User-Agent), when it was first and last seen, and its readable client."""

    __tablename__ = "known_devices"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    device_hash: str = Field(primary_key=True, max_length=64)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    client: str = Field(default="", max_length=CLIENT_MAX)


def new_device_id() -> str:
    """A browser's device cookie: random, and of no use to anyone but as a name for the device."""
    return secrets.token_urlsafe(24)


def device_key_of_app(user_agent: str) -> str:
    """What names an app's device when it asks for a token: its User-Agent."""
    return "ua:" + (user_agent or "")[:500]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_PRODUCT = re.compile(r"([A-Za-z][A-Za-z0-9._-]{0,39})(?:/|\s|$)")
_OS_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}


@lru_cache(maxsize=2048)
def client_name(user_agent: str | None) -> str:
    """A User-Agent as a person reads it: "Firefox on Android", "Safari on iOS", "Chrome on
    Windows", "Python Requests" for a script; "" when it says nothing we know."""
    ua = (user_agent or "").strip()[:500]
    if not ua:
        return ""
    from ua_parser import parse  # its rules load on first use, not at import

    parsed = parse(ua)
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    browser = browser.removesuffix(" Mobile").removeprefix("Mobile ").strip()
    if browser in ("", "Other"):  # a program the rules do not know: its product's name, if it reads as one
        product = _PRODUCT.match(ua)  # "Werkzeug/3.1" -> "Werkzeug"
        browser = product.group(1) if product else ""
    system = _OS_NAMES.get(system, system)
    name = f"{browser} on {system}" if browser and system and system != "Other" else browser
    return "".join(ch for ch in name if ch.isprintable())[:CLIENT_MAX]


def is_new_device(session: Session, user: User, device_key: str, client: str) -> bool:
    """Remember that `user` signed in from this device now; True if that is news worth an email:
    the device is new to them and they had signed in from another before."""
    digest, now = _digest(device_key), utcnow()
    values = {"user_id": user.id, "device_hash": digest, "first_seen_at": now, "last_seen_at": now, "client": client}
    if not insert_if_absent(session, KnownDevice, **values):  # known (two sign-ins at once: one inserts)
        session.exec(
            update(KnownDevice)
            .where(col(KnownDevice.user_id) == user.id, col(KnownDevice.device_hash) == digest)
            .values(last_seen_at=now)
        )
        return False
    others = select(KnownDevice.device_hash).where(
        col(KnownDevice.user_id) == user.id, col(KnownDevice.device_hash) != digest
    )
    return session.exec(others.limit(1)).first() is not None


def forget_devices(session: Session, user_id: int) -> None:
    """Every device the user was known on (an account closed)."""
    for row in session.exec(select(KnownDevice).where(col(KnownDevice.user_id) == user_id)):
        session.delete(row)
