"""Notifications: the `notifications` group turns events into delivery rows (one per event,
recipient and channel, in the transaction that marks the event processed), and the `mailer` sends
pending rows after commit (marketplace/notifications/sender.py)."""

from __future__ import annotations

import logging
import time

from events.contracts import EVENT_TYPES
from events.runner import in_transaction
from events.topics import CONSUMER_GROUPS
from events.wakeup import waiter
from marketplace.clock import utcnow
from marketplace.notifications.announce import FeedMail, announce_available
from marketplace.notifications.models import Notification
from marketplace.notifications.plans import deliver
from marketplace.notifications.prefs import build_digests
from marketplace.notifications.sender import Mail, SmtpServer
from marketplace.notifications.webhook_sender import send_due as send_webhooks
from marketplace.notifications.webhooks import WebhookDelivery, deliver_event
from marketplace.outgoing import LeasedSender, SendLoop
from workers.consumer import build_runner
from workers.links import SiteLinks
from workers.spec import WorkerSpec

log = logging.getLogger(__name__)
DIGEST_CHECK_S = 60.0  # how often the mailer looks whether a day's digests are due
GROUP = "notifications"
TYPES = sorted(name for name, t in EVENT_TYPES.items() if t.topic in CONSUMER_GROUPS[GROUP])


def handler(settings, test_mode: bool = False):
    """The group's handler: the email rows and the webhook rows an event calls for, each kind
    planned and written for the whole batch when it commits. Links lead to `settings.public_url`;
    `test_mode`: the platform has no payment provider (its money letters say so)."""
    secret = settings.secret_key
    if not secret:  # it signs the unsubscribe links: without it anyone could forge one
        raise RuntimeError("SECRET_KEY is not set: the notifications worker signs unsubscribe links with it.")
    links = SiteLinks(settings.public_url)

    def notify(uow, event) -> None:
        deliver(uow, event, links, secret, test_mode)
        deliver_event(uow, event)

    return notify


def build(platform):
    test_mode = platform.gateway.name != "stripe"
    return build_runner(platform, GROUP, dict.fromkeys(TYPES, handler(platform.settings, test_mode)))


class Mailer(SendLoop):
    """Sends due email rows (and, once a day at the digest hour, writes the digests first)."""

    def __init__(self, platform, idle_s: float = 5.0):
        self.platform = platform
        url = platform.settings.smtp_url
        self.server = SmtpServer.from_url(url) if url else None
        self.digests_checked = float("-inf")
        if self.server is None:
            log.warning("mailer: SMTP_URL is not set, so no email is sent (the rows wait)")
        self.sender = (
            LeasedSender(Mail(self.server, platform.settings.mail_from), platform.uow) if self.server else None
        )
        bell = waiter(Notification.__tablename__, engine=platform.engine)  # rung by commits of email rows
        super().__init__("mailer", self.round_of_mail, idle_s, bell=bell)

    def round_of_mail(self) -> int:
        if self.sender is None:
            return 0
        if time.monotonic() - self.digests_checked >= DIGEST_CHECK_S:
            hour = self.platform.settings.digest_hour
            in_transaction(self.platform.uow, lambda uow: build_digests(uow, utcnow(), hour))
            self.digests_checked = time.monotonic()
        return self.sender.round()

    def run_once(self) -> int:
        return max(0, self.round_of_mail())


class WebhookSender(SendLoop):
    """Announces tasks as they open in feeds (every `announce_every_s`: webhook deliveries to the
    endpoints that want them, and email rows to the taskers who asked for them), and sends due
    webhook deliveries."""

    def __init__(self, platform, idle_s: float = 5.0, announce_every_s: float = 5.0):
        self.platform = platform
        self.announce_every_s = announce_every_s
        self.announced = float("-inf")
        self.links = SiteLinks(platform.settings.public_url)
        secret = platform.settings.secret_key
        # It signs the emails' unsubscribe links: without it the sweep writes webhook rows only.
        self.mail = FeedMail(self.links, secret, platform.settings.feed_emails_per_day) if secret else None
        if secret is None:
            log.warning("webhooks: SECRET_KEY is not set, so no 'task in your feed' email is written")
        bell = waiter(WebhookDelivery.__tablename__, engine=platform.engine)  # rung by commits of deliveries
        super().__init__("webhooks", self.run_once, min(idle_s, announce_every_s), bell=bell)

    def run_once(self) -> int:
        s = self.platform.settings
        if time.monotonic() - self.announced >= self.announce_every_s:
            in_transaction(
                self.platform.uow, lambda uow: announce_available(uow, s.priority_window, utcnow(), self.mail)
            )
            self.announced = time.monotonic()
        return send_webhooks(self.platform.uow, self.links, s.webhooks_allow_loopback, s.webhook_timeout_s)


SPEC = WorkerSpec(GROUP, build, description="writes who hears of each event (email and webhook rows)")
WEBHOOKS = WorkerSpec(
    "webhooks", WebhookSender, description="sends webhook deliveries after commit", consumer_group=False
)
MAILER = WorkerSpec("mailer", Mailer, description="sends pending email after commit", consumer_group=False)
