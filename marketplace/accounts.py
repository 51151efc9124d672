"""Accounts: signup, password checks (argon2), and bearer tokens stored only as their hash."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from events.sqltypes import utcnow
from marketplace.models import ApiToken, Role, User
from marketplace.tasks import DomainError

_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps the timing the same as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, email: str, password: str, role: str, display_name: str = "") -> User:
    email = normalize_email(email)
    errors: dict[str, list[str]] = {}
    if role not in {r.value for r in Role}:
        errors["role"] = ["Must be one of client, tasker, operator."]
    if len(password) < MIN_PASSWORD:
        errors["password"] = [f"Must be at least {MIN_PASSWORD} characters."]
    if session.exec(select(User).where(User.email == email)).first() is not None:
        errors["email"] = ["An account with this email already exists."]
    if errors:
        raise DomainError("The account could not be created.", errors,
                          status=409 if list(errors) == ["email"] else 422)
    user = User(email=email, password_hash=hash_password(password), role=role,
                display_name=display_name or email.split("@")[0])
    session.add(user)
    session.flush()
    return user


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


def issue_token(session: Session, user: User) -> str:
    """A new bearer token. Only its hash is stored: the caller must show the token now or never."""
    token = "fb_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token)))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token),
                                              ApiToken.revoked_at.is_(None))).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def revoke_token(session: Session, token: str) -> bool:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.add(row)
    return True
