"""API bearer tokens, stored only as their hash, with an expiry; listing and revoking them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

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
    row = session.exec(
        select(ApiToken).where(col(ApiToken.token_hash) == token_hash(token), col(ApiToken.revoked_at).is_(None))
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


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
    return True
