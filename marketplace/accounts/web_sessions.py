"""Server-side web sessions: the cookie holds a random id, the row holds who signed in.

Only the id's hash is kept. Each session also has a public id, random and not secret, by which a
page or the API lists and ends it: never the cookie's value nor its hash. Its last use is written
at most once a minute (tokens.LAST_USE_EVERY), and its client ("Firefox on Android") when it starts.
"""

from __future__ import annotations

import secrets

from sqlalchemy import or_
from sqlmodel import Session, col, delete, select, update

from marketplace.accounts.models import User, WebSession
from marketplace.accounts.tokens import LAST_USE_EVERY, due_for_last_use, token_hash
from marketplace.clock import utcnow
from marketplace.errors import NotFound


def start_web_session(session: Session, user: User, client: str = "") -> str:
    """A signed-in browser's session id (for the cookie); only its hash is stored."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            id_hash=token_hash(sid),
            user_id=user.id,
            public_id=secrets.token_urlsafe(12),
            created_at=now,
            last_used_at=now,
            client=client[:120],
        )
    )
    session.flush()
    return sid


def web_session_of(session: Session, sid: str) -> WebSession | None:
    return session.get(WebSession, token_hash(sid))


def user_for_web_session(session: Session, sid: str) -> User | None:
    """The active user this browser's session belongs to; notes its use (at most once a minute)."""
    row = web_session_of(session, sid)
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.is_active:
        return None
    now = utcnow()
    if due_for_last_use(row.last_used_at, now):
        session.exec(
            update(WebSession)
            .where(
                col(WebSession.id_hash) == row.id_hash,
                or_(col(WebSession.last_used_at).is_(None), col(WebSession.last_used_at) <= now - LAST_USE_EVERY),
            )
            .values(last_used_at=now)
        )
        session.commit()
    return user


def end_web_session(session: Session, sid: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.id_hash) == token_hash(sid)))


def web_sessions_of(session: Session, user_id: int) -> list[WebSession]:
    """The user's signed-in browsers, the most recently used first."""
    rows = session.exec(select(WebSession).where(col(WebSession.user_id) == user_id)).all()
    return sorted(rows, key=lambda r: (r.last_used_at or r.created_at, r.created_at), reverse=True)


def end_web_session_by_id(session: Session, user_id: int, public_id: str) -> None:
    """End one of the user's own sessions by its public id; another user's is as good as unknown."""
    row = session.exec(select(WebSession).where(col(WebSession.public_id) == public_id)).first()
    if row is None or row.user_id != user_id:
        raise NotFound("No such session of yours: it may have ended already.")
    session.delete(row)


def end_other_web_sessions(session: Session, user_id: int, keep_public_id: str | None = None) -> int:
    """End every session of the user but the one with `keep_public_id`; how many ended."""
    query = delete(WebSession).where(col(WebSession.user_id) == user_id)
    if keep_public_id is not None:
        query = query.where(col(WebSession.public_id) != keep_public_id)
    return session.exec(query).rowcount or 0
