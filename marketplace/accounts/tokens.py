"""API bearer tokens, stored only as their hash, with an expiry; listing and revoking them.

A process remembers a token it has checked for a few seconds (TokenCache), so a client's burst of
requests costs one lookup, not one per request. Revoking a token drops it from this process's
cache at once; another process may accept it for at most the cache's lifetime (5 s).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import datetime, timedelta

from cachetools import TTLCache
from sqlmodel import Session, col, select

from marketplace.accounts.models import ApiToken, User
from marketplace.clock import utcnow
from marketplace.errors import NotFound

TOKEN_TTL = timedelta(days=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, ttl: timedelta = TOKEN_TTL) -> str:
    """A new bearer token, good for `ttl`. Only its hash is stored: the caller must show the token
    now or never."""
    token = "fb_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), expires_at=utcnow() + ttl))
    session.flush()
    return token


def token_row(session: Session, token: str) -> ApiToken | None:
    return session.exec(select(ApiToken).where(col(ApiToken.token_hash) == token_hash(token))).first()


def user_for_token(session: Session, token: str) -> User | None:
    found = _token_user(session, token_hash(token))
    return found[0] if found else None


def _token_user(session: Session, digest: str) -> tuple[User, datetime | None] | None:
    """The active user a live token (by its hash) belongs to, and when the token expires."""
    row = session.exec(
        select(ApiToken).where(col(ApiToken.token_hash) == digest, col(ApiToken.revoked_at).is_(None))
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    user = session.get(User, row.user_id)
    return (user, row.expires_at) if user is not None and user.is_active else None


class TokenCache:
    """token hash -> (the user, the token's expiry), for `ttl_s` seconds. The users are detached
    snapshots for reading (id, role, names), never to be added to a session."""

    def __init__(self, ttl_s: float = 5.0, maxsize: int = 10_000):
        self._entries: TTLCache[str, tuple[User, datetime | None]] = TTLCache(maxsize=maxsize, ttl=ttl_s)
        self._lock = threading.Lock()

    def user(self, session_factory, token: str) -> User | None:
        digest = token_hash(token)
        with self._lock:
            entry = self._entries.get(digest)
        if entry is not None:
            user, expires_at = entry
            if expires_at is None or expires_at > utcnow():
                return user
        with session_factory() as session:
            found = _token_user(session, digest)
        if found is None:
            return None
        with self._lock:
            self._entries[digest] = found
        return found[0]

    def forget(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


TOKENS = TokenCache()  # one per process


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


def _revoke(session: Session, row: ApiToken | None) -> bool:
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.add(row)
    TOKENS.forget(row.token_hash)  # at once; a rollback only costs the next request a lookup
    return True
