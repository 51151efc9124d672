"""Sign-in links: a link emailed after signup that signs its reader in once, within
`LINK_TTL`. Signup answers the same whether or not an email has an account (so it cannot be used
to learn who has one), and the link is how a new person gets in without typing their password a
second time: a new account's link signs them in, and an email that already had an account gets a
letter saying so, with a link that signs its owner in. Only the link's SHA-256 is stored; a link
works once, and never for a closed account."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Field, Session, SQLModel, col, update

from events.sqltypes import UTCDateTime
from marketplace.accounts.models import User
from marketplace.accounts.tokens import token_hash
from marketplace.clock import utcnow

LINK_TTL = timedelta(minutes=30)


class SignInLink(SQLModel, table=True):
    __tablename__ = "sign_in_links"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def issue_sign_in_link(session: Session, user: User, ttl: timedelta = LINK_TTL) -> str:
    """A new link's secret part (for the URL): shown in one email, stored only as its hash."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(SignInLink(token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=now + ttl))
    session.flush()
    return token


def link_user(session: Session, token: str) -> User | None:
    """Whom an unused, unexpired link would sign in (without using it: the page asks first)."""
    row = session.get(SignInLink, token_hash(token))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def use_sign_in_link(session: Session, token: str) -> User | None:
    """Spend the link: one UPDATE that matches only while it is unused and unexpired, so of two
    tabs racing with one link exactly one signs in. None for a link that is unknown, used, expired,
    or for an account that is closed."""
    now = utcnow()
    digest = token_hash(token)
    spent = session.exec(
        update(SignInLink)
        .where(
            col(SignInLink.token_hash) == digest, col(SignInLink.used_at).is_(None), col(SignInLink.expires_at) > now
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        return None
    row = session.get_one(SignInLink, digest)
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None
