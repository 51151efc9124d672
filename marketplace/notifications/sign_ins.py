"""The account's security letters, with the use cases that call for them: a sign-in from a device
new to the person, and a password change. Accounts sit below the notifications, so they record the
device and change the password (marketplace/accounts) and these write the letter in the same unit
of work; the letter is a row, sent after commit."""

from __future__ import annotations

from marketplace.accounts import sign_ins
from marketplace.accounts.devices import is_new_device
from marketplace.accounts.models import User
from marketplace.db import UnitOfWork
from marketplace.notifications.kinds.account_security import SecurityLinks, mail_new_sign_in, mail_password_changed


def note_sign_in(uow: UnitOfWork, links: SecurityLinks, user: User, device_key: str, client: str, how: str) -> bool:
    """A sign-in happened from this device: remember it, and if it is new to the person (and not
    their first sign-in of all), write them an email. True if one was written."""
    if not is_new_device(uow.session, user, device_key, client):
        return False
    mail_new_sign_in(uow, links, user, client, how)
    return True


def change_password(
    uow: UnitOfWork,
    links: SecurityLinks,
    user_id: int,
    current: str,
    new: str,
    client: str = "",
    keep_session: str | None = None,
    keep_token: int | None = None,
) -> tuple[int, int]:
    """`accounts.sign_ins.change_password` (every other web session and token ends), and the
    person is told by email. (sessions ended, tokens revoked)."""
    ended = sign_ins.change_password(uow, user_id, current, new, keep_session, keep_token)
    mail_password_changed(uow, links, uow.session.get_one(User, user_id), client)
    return ended
