"""API bearer tokens, stored only as their hash, with an expiry; listing and revoking them.

Every request checks its token in the database (one indexed read of the token and its user, one
round trip on PostgreSQL), so a token revoked by any process, or whose user is gone, is refused by
every process at once: no process remembers a token it has checked. A token records when it was
last used, written at most once a minute (LAST_USE_EVERY), never once per request; and the client
that asked for it ("Python Requests", "Firefox on Android") with the name an app may give it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select, update

from marketplace.accounts.models import ApiToken, User
from marketplace.clock import utcnow
from marketplace.db import construct
from marketplace.errors import NotFound
from marketplace.policy import DEFAULTS

TOKEN_TTL = DEFAULTS.api_token_ttl
LAST_USE_EVERY = timedelta(seconds=60)  # a token's or session's last use is written at most this often


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, ttl: timedelta = TOKEN_TTL, client: str = "", name: str = "") -> str:
    """A new bearer token, good for `ttl`. Only its hash is stored: the caller must show the token
    now or never. `client`: who asked for it, readable (devices.client_name); `name`: the app's own."""
    token = "fb_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=utcnow() + ttl,
            client=client[:120],
            name=name[:80],
        )
    )
    session.flush()
    return token


def token_row(session: Session, token: str) -> ApiToken | None:
    return session.exec(select(ApiToken).where(col(ApiToken.token_hash) == token_hash(token))).first()


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a live token belongs to (None for a revoked, expired or unknown token)."""
    found = _live(session, token_hash(token))
    return found[1] if found else None


def _live(session: Session, digest: str) -> tuple[ApiToken, User] | None:
    """A live token (by its hash) and its active user, in one read."""
    found = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(col(ApiToken.token_hash) == digest, col(ApiToken.revoked_at).is_(None))
    ).first()
    if found is None:
        return None
    row, user = found
    if (row.expires_at is not None and row.expires_at <= utcnow()) or not user.is_active:
        return None
    return row, user


def due_for_last_use(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USE_EVERY


_USER_COLUMNS = [column for column in User.__table__.columns]  # type: ignore[attr-defined]
_LIVE = (
    core_select(
        col(ApiToken.id).label("token_id"),
        col(ApiToken.expires_at).label("token_expires_at"),
        col(ApiToken.last_used_at).label("token_last_used_at"),
        *_USER_COLUMNS,
    )
    .join_from(ApiToken, User, col(User.id) == col(ApiToken.user_id))
    .where(col(ApiToken.token_hash) == bindparam("digest"), col(ApiToken.revoked_at).is_(None))
)


class TokenCheck:
    """The request path's token check: `check(engine, token)` reads the token and its user in one
    statement (every request: a revocation anywhere is seen at once; on PostgreSQL outside a
    transaction, so it costs one round trip, no BEGIN or ROLLBACK) and writes the token's last use
    when that is a minute old. It gives (the token's id, the user), the user a detached snapshot
    for reading (id, role, names), as a session would have loaded it."""

    def user(self, engine: Engine, token: str) -> User | None:
        found = self.check(engine, token)
        return found[1] if found else None

    def check(self, engine: Engine, token: str) -> tuple[int, User] | None:
        digest = token_hash(token)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                return self._check(connection, digest)
        with engine.begin() as connection:  # SQLite (one machine): an ordinary transaction
            return self._check(connection, digest)

    @staticmethod
    def _check(connection: Connection, digest: str) -> tuple[int, User] | None:
        row = connection.execute(_LIVE, {"digest": digest}).first()
        now = utcnow()
        if row is None or (row.token_expires_at is not None and row.token_expires_at <= now) or not row.is_active:
            return None
        if due_for_last_use(row.token_last_used_at, now):
            connection.execute(_touch(row.token_id, now))
        user = construct(User, **{column.name: getattr(row, column.name) for column in _USER_COLUMNS})
        make_transient_to_detached(user)  # as if loaded by a session that has closed
        return row.token_id, user


def _touch(token_id: int, now: datetime):
    """The token's last use, now; a process that wrote it in the last minute has done it already."""
    return (
        update(ApiToken)
        .where(
            col(ApiToken.id) == token_id,
            or_(col(ApiToken.last_used_at).is_(None), col(ApiToken.last_used_at) <= now - LAST_USE_EVERY),
        )
        .values(last_used_at=now)
    )


TOKENS = TokenCheck()


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    now = utcnow()
    return [
        t
        for t in session.exec(
            select(ApiToken)
            .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
            .order_by(col(ApiToken.id).desc())
        )
        if t.expires_at is None or t.expires_at > now
    ]


def revoke_token(session: Session, token: str) -> bool:
    return _revoke(session, token_row(session, token))


def revoke_token_id(session: Session, user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens by its id; another user's token id is as good as unknown."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"No token {token_id} of yours.")
    return _revoke(session, row)


def revoke_all_tokens(session: Session, user_id: int, keep: int | None = None) -> int:
    """Revoke every live token of the user but `keep` (a token id); how many were revoked."""
    now = utcnow()
    query = update(ApiToken).where(
        col(ApiToken.user_id) == user_id,
        col(ApiToken.revoked_at).is_(None),
        or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > now),
    )
    if keep is not None:
        query = query.where(col(ApiToken.id) != keep)
    return session.exec(query.values(revoked_at=now)).rowcount or 0


def _revoke(session: Session, row: ApiToken | None) -> bool:
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.add(row)
    return True
