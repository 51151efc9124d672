"""Account mail about signing in, written where it happens (no event brings it) and never switched
off: a sign-in from a device the person has not used before, and a changed password. Each is an
email row written in the transaction of what it reports and sent by the mailer after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.floors.zones import zone_name
from marketplace.notifications.kinds.account import write_account_mail
from marketplace.notifications.letters import Draft
from marketplace.tasks.reader_clock import reader_clock

NEW_SIGN_IN = "account.new_sign_in"
PASSWORD_CHANGED = "account.password_changed"
SIGN_IN_LINK = "account.sign_in_link"


class SecurityLinks(Protocol):
    """The pages these letters send their reader to (links.Links has them too)."""

    def account_sessions(self) -> str:
        """The reader's sessions and tokens, where they end one."""
        ...

    def api_sessions(self) -> str:
        """For apps: the API call that lists them ("GET /api/v1/me/sessions")."""
        ...

    def sign_in_link(self, token: str) -> str:
        """The page where a sign-in link's reader signs in with it (once)."""
        ...


def said_when(at: datetime, tz: ZoneInfo) -> str:
    """A moment in a letter: "2026-12-07 at 14:03 Pacific time (PST)", "2026-12-07 at 20:03 UTC"."""
    return f"{at.astimezone(tz):%Y-%m-%d at %H:%M} {zone_name(tz, at)}"


def new_sign_in(links: SecurityLinks, when: str, client: str, how: str) -> Draft:
    """To a person who just signed in from a device they had not used before."""
    return Draft(
        "A new sign-in to your Floorboard account",
        [
            f"Your account was signed in to {how} on {when}, from {client or 'a client that did not say what it is'}.",
            "It was the first sign-in from this device. If it was you, there is nothing to do.",
            "If it was not you, end that session on the page below, then change your password at once.",
        ],
        links.account_sessions(),
        "Your sessions and tokens",
        links.api_sessions(),
    )


def password_changed(links: SecurityLinks, when: str, client: str) -> Draft:
    """To a person whose password was just changed (every other session and token ended with it)."""
    return Draft(
        "Your Floorboard password was changed",
        [
            f"Your password was changed on {when}, from {client or 'a client that did not say what it is'}.",
            "Every other session and every API token of yours was ended with it: sign in again with the new password.",
            "If you did not change it, someone else knew your password: tell the people who run Floorboard at once.",
        ],
        links.account_sessions(),
        "Your sessions and tokens",
        links.api_sessions(),
    )


def welcome(links: SecurityLinks, token: str, minutes: int) -> Draft:
    """To a person who just signed up: the link that signs them in, so they need not type it all again."""
    return Draft(
        "Welcome to Floorboard: sign in",
        [
            "Your Floorboard account is ready.",
            f"The link below signs you in once, in the next {minutes} minutes. After that, sign in with your "
            "email and password.",
            "If you did not sign up, ignore this email: nobody can use the account without this link or the password.",
        ],
        links.sign_in_link(token),
        "Sign in to Floorboard",
    )


def already_signed_up(links: SecurityLinks, token: str, minutes: int) -> Draft:
    """To the owner of an email someone tried to sign up with again (perhaps they forgot)."""
    return Draft(
        "You already have a Floorboard account",
        [
            "Someone (perhaps you) tried to sign up for Floorboard with this email, which already has an account.",
            f"If it was you, the link below signs you in once, in the next {minutes} minutes; your password is "
            "unchanged.",
            "If it was not you, ignore this email: nothing about your account changed.",
        ],
        links.sign_in_link(token),
        "Sign in to Floorboard",
    )


def mail_sign_in_link(uow: UnitOfWork, links: SecurityLinks, user: User, token: str, minutes: int, new: bool) -> None:
    """The signup's email: a welcome for a new account, or "you already have one" for a known email."""
    draft = (welcome if new else already_signed_up)(links, token, minutes)
    write_account_mail(uow, user, SIGN_IN_LINK, draft, f"sign-in-link:{user.id}:{utcnow():%Y%m%d%H%M%S%f}")


def mail_new_sign_in(uow: UnitOfWork, links: SecurityLinks, user: User, client: str, how: str) -> None:
    now = utcnow()
    draft = new_sign_in(links, said_when(now, reader_clock(uow.session, user)), client, how)
    write_account_mail(uow, user, NEW_SIGN_IN, draft, f"sign-in:{user.id}:{now:%Y%m%d%H%M%S%f}")


def mail_password_changed(uow: UnitOfWork, links: SecurityLinks, user: User, client: str) -> None:
    now = utcnow()
    draft = password_changed(links, said_when(now, reader_clock(uow.session, user)), client)
    write_account_mail(uow, user, PASSWORD_CHANGED, draft, f"password:{user.id}:{now:%Y%m%d%H%M%S%f}")
