"""Accounts: signup, password checks (argon2, and zxcvbn against common and guessable passwords),
bearer tokens stored only as their hash with an expiry, and server-side web sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, delete, select
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from events.sqltypes import utcnow
from marketplace.errors import Conflict, Invalid, NotFound
from marketplace.models import ApiToken, Role, User, WebSession

HASHING = {
    "standard": PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY),
    # argon2's cheapest settings: for test suites only, where hashing dominated the run time.
    "cheapest-for-tests": PasswordHasher.from_parameters(profiles.CHEAPEST),
}
_hasher = HASHING["standard"]


def use_password_hashing(profile: str) -> None:
    """Choose the argon2 cost for this process (settings: FLOORBOARD_PASSWORD_HASHING)."""
    global _hasher, _DUMMY_HASH
    if profile not in HASHING:
        raise ValueError(f"FLOORBOARD_PASSWORD_HASHING must be one of {', '.join(HASHING)}, not {profile!r}")
    if HASHING[profile] is not _hasher:
        _hasher = HASHING[profile]
        _DUMMY_HASH = _hasher.hash("not-a-real-password")


# Verifying against this when the email is unknown keeps the timing the same as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 10
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
TOKEN_TTL = timedelta(days=30)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_problems(password: str, email: str = "", display_name: str = "") -> list[str]:
    """Why a password is refused, if it is: too short, one of the 30,000 most common passwords
    (zxcvbn's list), or one zxcvbn rates as guessable in a handful of tries (a repeat, a sequence,
    the email's own name)."""
    if len(password) < MIN_PASSWORD:
        return [f"Must be at least {MIN_PASSWORD} characters."]
    if password.lower() in COMMON_PASSWORDS:
        return ["This is one of the most common passwords. Choose another, e.g. a few unrelated words."]
    # zxcvbn's matching grows quickly with length; its first 100 characters tell enough.
    verdict = zxcvbn(password[:100], user_inputs=[email, email.split("@")[0], display_name, "floorboard"])
    if verdict["score"] == 0:
        warning = verdict["feedback"].get("warning") or "This password is too easy to guess."
        return [f"{warning.rstrip('.')}. Choose a longer or less common one, e.g. a few unrelated words."]
    return []


def _check_new_account(session: Session, email: str, password: str, role: str, display_name: str) -> dict:
    errors: dict[str, list[str]] = {}
    if role not in {r.value for r in Role}:
        errors["role"] = ["Must be one of client, tasker, operator."]
    problems = password_problems(password, email, display_name)
    if problems:
        errors["password"] = problems
    return errors


def create_user(session: Session, email: str, password: str, role: str, display_name: str = "") -> User:
    """An account, or DomainError naming what is wrong, including an email already in use (for
    operators and tools; public signup uses `sign_up`, which never says whether an email exists)."""
    email = normalize_email(email)
    errors = _check_new_account(session, email, password, role, display_name)
    if session.exec(select(User).where(User.email == email)).first() is not None:
        errors["email"] = ["An account with this email already exists."]
    if errors:
        refusal = Conflict if list(errors) == ["email"] else Invalid
        raise refusal("The account could not be created.", errors)
    return _add_user(session, email, password, role, display_name)


def _add_user(session: Session, email: str, password: str, role: str, display_name: str) -> User:
    user = User(
        email=email, password_hash=hash_password(password), role=role, display_name=display_name or email.split("@")[0]
    )
    session.add(user)
    session.flush()
    return user


def sign_up(session: Session, email: str, password: str, role: str, display_name: str = "") -> User | None:
    """Public signup. Bad input is a DomainError; an email already in use is not: the account is
    left alone and None comes back, after the same work as a real signup, so neither the answer
    nor its timing tells anyone which emails have accounts."""
    email = normalize_email(email)
    errors = _check_new_account(session, email, password, role, display_name)
    if errors:
        raise Invalid("The account could not be created.", errors)
    if session.exec(select(User).where(User.email == email)).first() is not None:
        hash_password(password)  # the cost a real signup pays
        return None
    return _add_user(session, email, password, role, display_name)


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


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
    return session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()


def user_for_token(session: Session, token: str) -> User | None:
    row = session.exec(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None))
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
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
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
    session.exec(delete(WebSession).where(WebSession.id_hash == token_hash(sid)))
