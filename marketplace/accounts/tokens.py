"""API bearer tokens, stored only as their hash, with an expiry; listing and revoking them.

Every request checks its token in the database (one indexed read of the token and its user), so a
token revoked by any process, or whose user is gone, is refused by every process at once: no
process remembers a token it has checked. A token records when it was last used, written at most
once a minute (LAST_USE_EVERY), never once per request; and the client that asked for it ("Python
Requests", "Firefox on Android") with the name an app may give it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select, update

from marketplace.accounts.models import ApiToken, User
from marketplace.clock import utcnow
from marketplace.errors import NotFound

TOKEN_TTL = timedelta(days=30)
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


class TokenCheck:
    """The request path's token check: `user(session_factory, token)` reads the token and its user
    (every request: a revocation anywhere is seen at once) and writes its last use when that is a
    minute old. The user returned is a detached snapshot for reading (id, role, names), never to
    be added to a session. `token_id(token)` is the id of the token the request carries."""

    def user(self, session_factory: Callable[[], Session], token: str) -> User | None:
        found = self.check(session_factory, token)
        return found[1] if found else None

    def check(self, session_factory: Callable[[], Session], token: str) -> tuple[ApiToken, User] | None:
        digest = token_hash(token)
        with session_factory() as session:
            found = _live(session, digest)
            if found is None:
                return None
            row, user = found
            now = utcnow()
            if due_for_last_use(row.last_used_at, now):
                _touch(session, row, now)
        return row, user


def _touch(session: Session, row: ApiToken, now: datetime) -> None:
    """The token's last use, now; a process that wrote it in the last minute has done it already."""
    session.exec(
        update(ApiToken)
        .where(
            col(ApiToken.id) == row.id,
            or_(col(ApiToken.last_used_at).is_(None), col(ApiToken.last_used_at) <= now - LAST_USE_EVERY),
        )
        .values(last_used_at=now)
    )
    session.commit()
    row.last_used_at = now


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
