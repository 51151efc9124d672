"""Users: creating accounts (normalized unique emails, checked passwords, and a sign-up answer that
does not reveal whether an email is taken), and signing in by email and password."""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import check_password, hash_password, needs_rehash, password_problems
from marketplace.errors import Conflict, Invalid
from marketplace.text import line_problem


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_new_account(session: Session, email: str, password: str, role: str, display_name: str) -> dict:
    errors: dict[str, list[str]] = {}
    if role not in {r.value for r in Role}:
        errors["role"] = ["Must be one of client, tasker, operator."]
    problems = password_problems(password, email, display_name)
    if problems:
        errors["password"] = problems
    if problem := line_problem(display_name):  # it travels into email subjects
        errors["display_name"] = [problem]
    return errors


def create_user(session: Session, email: str, password: str, role: str, display_name: str = "") -> User:
    """An account, or DomainError naming what is wrong, including an email already in use (for
    operators and tools; public signup uses `sign_up`, which never says whether an email exists)."""
    email = normalize_email(email)
    errors = _check_new_account(session, email, password, role, display_name)
    if session.exec(select(User).where(col(User.email) == email)).first() is not None:
        errors["email"] = ["An account with this email already exists."]
    if errors:
        refusal = Conflict if list(errors) == ["email"] else Invalid
        raise refusal("The account could not be created.", errors)
    return _add_user(session, email, password, role, display_name)


def _add_user(session: Session, email: str, password: str, role: str, display_name: str) -> User:
    user = User(email=email, password_hash=hash_password(password), role=role, display_name=display_name)
    session.add(user)
    session.flush()
    if not user.display_name:  # never a piece of the email: names are shown publicly (boards, profiles)
        user.display_name = f"{role.capitalize()} {user.id}"
        session.add(user)
    return user


def sign_up(session: Session, email: str, password: str, role: str, display_name: str = "") -> User | None:
    """Public signup. Bad input is a DomainError; an email already in use is not: the account is
    left alone and None comes back, after the same work as a real signup, so neither the answer
    nor its timing tells anyone which emails have accounts."""
    email = normalize_email(email)
    errors = _check_new_account(session, email, password, role, display_name)
    if errors:
        raise Invalid("The account could not be created.", errors)
    if session.exec(select(User).where(col(User.email) == email)).first() is not None:
        hash_password(password)  # the cost a real signup pays
        return None
    return _add_user(session, email, password, role, display_name)


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.exec(select(User).where(col(User.email) == normalize_email(email))).first()
    if not check_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


FORMER = {Role.client: "A former client", Role.tasker: "A former tasker"}
PLACEHOLDER_DOMAIN = "closed.invalid"  # RFC 2606: never delivered anywhere
NO_PASSWORD = "!closed"  # no hash: check_password never matches it


def make_tombstone(session: Session, user: User) -> None:
    """A closed account's row (marketplace/privacy asks): it stays, so the kept rows still add up,
    but it cannot sign in: no name, a unique undeliverable email, no password."""
    user.email = f"closed-{user.id}@{PLACEHOLDER_DOMAIN}"
    user.display_name = FORMER.get(Role(user.role), "A former member")
    user.password_hash = NO_PASSWORD
    user.is_active = False
    session.add(user)
