"""The webhook sender: sends due webhook deliveries (`announce.py` queues the `task.available`
ones) after commit, on the one leased sender design (marketplace/outgoing.py), each signed by the
`standardwebhooks` package, with no database transaction open during the HTTP call. Redirects
are not followed (a redirect could lead to an address the SSRF check never saw)."""

from __future__ import annotations

import http.client
import logging
import ssl
from contextlib import nullcontext
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlmodel import col, update
from standardwebhooks.webhooks import Webhook

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, UnitOfWorkFactory, insert_if_absent
from marketplace.notifications.kinds.account import WEBHOOK_DISABLED, webhook_disabled
from marketplace.notifications.letters import Letter, render
from marketplace.notifications.links import Links
from marketplace.notifications.models import Notification
from marketplace.notifications.webhook_urls import (
    PermanentDeliveryError,
    PinnedConnection,
    Resolver,
    checked_addresses,
    default_tls,
    parse_url,
)
from marketplace.notifications.webhooks import (
    RETRY_FOR,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
    backoff,
)
from marketplace.outgoing import Answered, LeasedSender, Outcome, Refused, TryLater

log = logging.getLogger(__name__)

SENT = Counter("floorboard_webhooks_sent_total", "Webhook deliveries accepted by their endpoint")
RETRIED = Counter("floorboard_webhooks_retried_total", "Webhook deliveries to try again")
FAILED = Counter("floorboard_webhooks_failed_total", "Webhook deliveries given up")
DISABLED = Counter("floorboard_webhook_endpoints_disabled_total", "Endpoints disabled (410, or 3 days failing)")

LEASE = timedelta(minutes=2)
DISABLE_AFTER = timedelta(days=3)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout_s: float,
    allow_loopback: bool,
    resolve: Resolver | None = None,
    tls: ssl.SSLContext | None = None,
) -> int:
    """POST and return the status code. The host is resolved once (`resolve`, socket.getaddrinfo by
    default), every address checked, and the connection made to a checked address, never to a second
    answer (`tls`: the certificates trusted, the system's by default). Raises PermanentDeliveryError
    (UnusableUrl, BlockedAddress) when this row can never be sent as it stands, and OSError or
    http.client.HTTPException when nothing was answered this time (see `webhook_urls`)."""
    target = parse_url(url, allow_loopback)
    addresses = checked_addresses(target, allow_loopback, resolve)
    context = (tls or default_tls()) if target.scheme == "https" else None
    connection = PinnedConnection(target, addresses, timeout_s, context)
    try:
        connection.request("POST", target.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()


class Webhooks:
    """The webhook channel of marketplace/outgoing.py. An endpoint that does not answer, times out
    or answers 5xx is this row's *try later* (the endpoint's trouble, never an outage of ours);
    a URL that cannot be used or an address that is not public fails the row at once; a 410
    fails it and disables the endpoint; 3 days of failures disable it too, and its owner is told."""

    name = "webhook"
    model = WebhookDelivery

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        links: Links,
        allow_loopback: bool,
        timeout_s: float = 10.0,
        resolve: Resolver | None = None,
    ):
        self.uow_factory = uow_factory
        self.links = links
        self.allow_loopback = allow_loopback
        self.timeout_s = timeout_s
        self.resolve = resolve

    def connection(self):
        return nullcontext()

    def _endpoint(self, row: WebhookDelivery) -> WebhookEndpoint | None:
        with self.uow_factory() as uow:  # a short read, closed before the call
            return uow.session.get(WebhookEndpoint, row.endpoint_id)

    def call(self, row: WebhookDelivery, connection: object) -> Outcome:
        endpoint = self._endpoint(row)
        if endpoint is None or endpoint.status != EndpointStatus.active:
            return Refused("The endpoint is disabled.")
        sent_at = utcnow()
        msg_id = f"msg_{row.id}"
        body = row.payload.encode()
        headers = {
            "content-type": "application/json",
            "user-agent": "Floorboard-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": Webhook(endpoint.secret).sign(msg_id, sent_at, body),
        }
        try:
            status = post(endpoint.url, body, headers, self.timeout_s, self.allow_loopback, self.resolve)
        except PermanentDeliveryError as exc:
            return Refused(f"{type(exc).__name__}: {exc}")
        except (OSError, http.client.HTTPException) as exc:
            return TryLater(f"{type(exc).__name__}: {exc}")
        if 200 <= status < 300:
            return Answered(status_code=status)
        if status == 410:
            return Refused("410 Gone: the endpoint was disabled.", status)
        return TryLater(f"HTTP {status}", status)

    def record(self, uow: UnitOfWork, row: WebhookDelivery, outcome: Outcome) -> None:
        now = utcnow()
        uow.session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == row.id)
            .values(
                last_status_code=outcome.status_code,
                delivered_at=now if isinstance(outcome, Answered) else None,
            )
        )
        endpoint = uow.session.get(WebhookEndpoint, row.endpoint_id)
        if endpoint is None:
            return
        if isinstance(outcome, Answered):
            SENT.inc()
            endpoint.failing_since = None
        elif isinstance(outcome, Refused):
            FAILED.inc()
            if outcome.status_code == 410:
                _disable(uow, self.links, endpoint, "The endpoint answered 410 Gone.")
        else:
            RETRIED.inc()
            if endpoint.failing_since is None:
                endpoint.failing_since = now
            elif now - endpoint.failing_since >= DISABLE_AFTER:
                reason = f"The endpoint failed every delivery for 3 days (last: {outcome.reason})."
                _disable(uow, self.links, endpoint, reason)
        uow.session.add(endpoint)

    def retry_at(self, row: WebhookDelivery, now: datetime) -> datetime | None:
        return None if now - row.created_at >= RETRY_FOR else now + backoff(row.attempts)


def send_due(
    uow_factory: UnitOfWorkFactory,
    links: Links,
    allow_loopback: bool,
    timeout_s: float = 10.0,
    batch: int = 50,
    resolve: Resolver | None = None,
) -> int:
    """One round: send what is due; how many were accepted (2xx)."""
    channel = Webhooks(uow_factory, links, allow_loopback, timeout_s, resolve)
    return LeasedSender(channel, uow_factory, lease=LEASE, batch=batch).run_once()


def _disable(uow: UnitOfWork, links: Links, endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable the endpoint and tell its owner by email (account mail: it cannot be switched off)."""
    if endpoint.status != EndpointStatus.active:
        return
    endpoint.status, endpoint.disabled_reason = EndpointStatus.disabled, reason[:300]
    uow.session.add(endpoint)
    DISABLED.inc()
    owner = uow.session.get(User, endpoint.tasker_id)
    if owner is None:
        return
    now = utcnow()
    letter = Letter.to(owner.id, WEBHOOK_DISABLED, webhook_disabled(links, endpoint.id, endpoint.url, reason))
    text, html = render(letter, owner)  # account mail: no unsubscribe link
    insert_if_absent(
        uow.session,
        Notification,
        event_id=f"webhook-disabled:{endpoint.id}:{now:%Y%m%d%H%M%S}",
        recipient_id=owner.id,
        channel="email",
        kind=WEBHOOK_DISABLED,
        to_address=owner.email,
        subject=letter.subject,
        text_body=text,
        html_body=html,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        unsubscribe_url="",
        created_at=now,
    )
    uow.wake_on_commit("notifications")
