"""Server-side web sessions: the cookie holds a random id, the row holds who signed in."""

from __future__ import annotations

import secrets

from sqlmodel import Session, col, delete

from marketplace.accounts.models import User, WebSession
from marketplace.accounts.tokens import token_hash


def start_web_session(session: Session, user: User) -> str:
    """A signed-in browser's session id (for the cookie); only its hash is stored."""
    sid = secrets.token_urlsafe(32)
    session.add(WebSession(id_hash=token_hash(sid), user_id=user.id))
    session.flush()
    return sid


def user_for_web_session(session: Session, sid: str) -> User | None:
    row = session.get(WebSession, token_hash(sid))
    user = session.get(User, row.user_id) if row is not None else None
    return user if user is not None and user.is_active else None


def end_web_session(session: Session, sid: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.id_hash) == token_hash(sid)))
