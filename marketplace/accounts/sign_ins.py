"""Where a person is signed in, and what they do about it: their web sessions and API tokens
listed (with creation, last use and client), ended one by one or all but this one, and a password
change, which ends every other session and token. The letters that tell the person of a new
device's sign-in or a changed password are the notifications' (marketplace/notifications/sign_ins.py
runs these and writes them in the same unit of work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.accounts.passwords import check_password, hash_password, password_problems
from marketplace.accounts.tokens import revoke_all_tokens, tokens_of
from marketplace.accounts.web_sessions import end_other_web_sessions, web_sessions_of
from marketplace.db import UnitOfWork
from marketplace.errors import Invalid, NotFound

WEB, API = "on the web", "through the API (a new token)"


@dataclass(frozen=True)
class Signed:
    """One web session or API token as its owner sees it: never the cookie, the token or a hash."""

    kind: str  # "session" or "token"
    id: str  # a session's public id, or a token's id
    created_at: datetime
    last_used_at: datetime | None
    client: str
    current: bool  # the session or token this request came with
    name: str = ""  # a token's name, given by the app that asked for it
    expires_at: datetime | None = None


def signed_in_places(
    session: Session, user_id: int, current_session: str | None = None, current_token: int | None = None
) -> tuple[list[Signed], list[Signed]]:
    """(the user's web sessions, their live tokens), each list with the current one first."""
    sessions = [
        Signed("session", s.public_id, s.created_at, s.last_used_at, s.client, s.public_id == current_session)
        for s in web_sessions_of(session, user_id)
    ]
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    tokens = [
        Signed("token", str(t.id), t.created_at, t.last_used_at, t.client, t.id == current_token, t.name, t.expires_at)
        for t in tokens_of(session, user)
    ]
    first = lambda rows: sorted(rows, key=lambda r: not r.current)  # noqa: E731 - stable: the order otherwise kept
    return first(sessions), first(tokens)


def end_everything_else(
    session: Session, user_id: int, keep_session: str | None = None, keep_token: int | None = None, what: str = "all"
) -> tuple[int, int]:
    """End the user's other web sessions ("sessions"), revoke their other tokens ("tokens"), or
    both ("all"); the session and token this request came with stay. (sessions ended, tokens revoked)."""
    if what not in ("all", "sessions", "tokens"):
        raise Invalid("Say what to end.", {"what": ["Must be all, sessions or tokens."]})
    ended = end_other_web_sessions(session, user_id, keep_session) if what in ("all", "sessions") else 0
    revoked = revoke_all_tokens(session, user_id, keep_token) if what in ("all", "tokens") else 0
    return ended, revoked


def change_password(
    uow: UnitOfWork,
    user_id: int,
    current: str,
    new: str,
    keep_session: str | None = None,
    keep_token: int | None = None,
) -> tuple[int, int]:
    """Set a new password, after the current one. Every other web session ends and every other
    token is revoked (the session or token this request came with stays). (sessions ended, tokens
    revoked); Invalid naming the field at fault otherwise."""
    user = uow.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("No such account.")
    if not check_password(user.password_hash, current or ""):
        raise Invalid("The password was not changed.", {"current_password": ["That is not your current password."]})
    problems = password_problems(new or "", user.email, user.display_name)
    if not problems and check_password(user.password_hash, new):
        problems = ["This is your current password: choose a new one."]
    if problems:
        raise Invalid("The password was not changed.", {"new_password": problems})
    user.password_hash = hash_password(new)
    uow.session.add(user)
    return end_everything_else(uow.session, user.id, keep_session, keep_token)
