"""Account mail that no event brings: written where the thing happens, and never switched off."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.notifications.letters import Draft, Letter, kept
from marketplace.notifications.links import Links
from marketplace.notifications.models import Notification

WEBHOOK_DISABLED = "webhook.disabled"


def webhook_disabled(links: Links, endpoint_id: int, url: str, reason: str) -> Draft:
    """To a tasker whose webhook endpoint the sender disabled (a 410, or 3 days failing)."""
    return Draft(
        "Your webhook endpoint was disabled",
        [
            f"We disabled your webhook endpoint {url}: {reason}",
            "Fix it, then enable it again on its page, where its deliveries are listed.",
        ],
        links.enable_webhook(endpoint_id),
        "Your endpoint",
        links.api_webhook(endpoint_id),
    )


def write_account_mail(uow: UnitOfWork, user: User, kind: str, draft: Draft, event_id: str) -> None:
    """An account mail's email row (no unsubscribe link), written in the transaction of what it
    reports and rendered by the mailer when it sends it, after commit; `event_id` keeps it once."""
    letter = Letter.to(user.id, kind, draft)
    now = utcnow()
    insert_if_absent(
        uow.session,
        Notification,
        event_id=event_id,
        recipient_id=user.id,
        channel="email",
        kind=kind,
        to_address=user.email,
        subject=letter.subject,
        text_body="",
        html_body="",
        letter=kept(letter, user),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        unsubscribe_url="",
        created_at=now,
    )
    uow.wake_on_commit(Notification.__tablename__)  # the mailer
