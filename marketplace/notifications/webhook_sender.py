"""The webhook sender: sends due webhook deliveries (`announce.py` queues the `task.available`
ones) after commit, each signed by the `standardwebhooks` package, with no database
transaction open during the HTTP call. Redirects are not followed (a redirect could lead to an
address the SSRF check never saw)."""

from __future__ import annotations

import http.client
import logging
import ssl
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import or_
from sqlmodel import col, select, update
from standardwebhooks.webhooks import Webhook

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWorkFactory, insert_if_absent
from marketplace.notifications.plans import Letter, render
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

log = logging.getLogger(__name__)

SENT = Counter("floorboard_webhooks_sent_total", "Webhook deliveries accepted by their endpoint")
RETRIED = Counter("floorboard_webhooks_retried_total", "Webhook deliveries to try again")
FAILED = Counter("floorboard_webhooks_failed_total", "Webhook deliveries given up")
DISABLED = Counter("floorboard_webhook_endpoints_disabled_total", "Endpoints disabled (410, or 3 days failing)")

LEASE = timedelta(minutes=2)
DISABLE_AFTER = timedelta(days=3)


def claim(uow_factory: UnitOfWorkFactory, now: datetime, batch: int) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    with uow_factory() as uow:
        s = uow.session
        due = or_(
            col(WebhookDelivery.status) == "pending",
            (col(WebhookDelivery.status) == "sending") & (col(WebhookDelivery.lease_until) < now),
        )
        query = (
            select(WebhookDelivery)
            .where(due, col(WebhookDelivery.next_attempt_at) <= now)
            .order_by(col(WebhookDelivery.id))
            .limit(batch)
        )
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(s.exec(query))
        for row in rows:
            row.status, row.lease_until, row.attempts = "sending", now + LEASE, row.attempts + 1
            s.add(row)
        uow.commit()
        claimed = []
        for row in rows:
            s.refresh(row)
            endpoint = s.get_one(WebhookEndpoint, row.endpoint_id)
            claimed.append((row, endpoint))
        s.expunge_all()
        return claimed


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


def send_due(uow_factory: UnitOfWorkFactory, allow_loopback: bool, timeout_s: float = 10.0, batch: int = 50) -> int:
    """Send what is due; how many were accepted (2xx)."""
    accepted = 0
    disabled: set[int] = set()  # endpoints this round disabled: their later rows are not tried
    for row, endpoint in claim(uow_factory, utcnow(), batch):
        if endpoint.status != EndpointStatus.active or endpoint.id in disabled:
            _finish(uow_factory, row, "failed", None, "The endpoint is disabled.")
            continue
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
            status: int | None = post(endpoint.url, body, headers, timeout_s, allow_loopback)
            error = "" if status is not None and 200 <= status < 300 else f"HTTP {status}"
        except (OSError, PermanentDeliveryError, http.client.HTTPException) as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"[:500]
        if status is not None and 200 <= status < 300:
            _finish(uow_factory, row, "sent", status, "")
            _endpoint_ok(uow_factory, endpoint)
            SENT.inc()
            accepted += 1
        elif status == 410:
            _finish(uow_factory, row, "failed", status, "410 Gone: the endpoint was disabled.")
            _disable(uow_factory, endpoint, "The endpoint answered 410 Gone.")
            disabled.add(endpoint.id)
            FAILED.inc()
        elif _failed_try(uow_factory, row, endpoint, status, error):
            disabled.add(endpoint.id)
    return accepted


def _finish(uow_factory: UnitOfWorkFactory, row: WebhookDelivery, status: str, code: int | None, error: str) -> None:
    with uow_factory() as uow:
        uow.session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == row.id, col(WebhookDelivery.status) == "sending")
            .values(
                status=status,
                last_status_code=code,
                last_error=error,
                lease_until=None,
                delivered_at=utcnow() if status == "sent" else None,
            )
        )
        uow.commit()


def _endpoint_ok(uow_factory: UnitOfWorkFactory, endpoint: WebhookEndpoint) -> None:
    if endpoint.failing_since is None:
        return
    with uow_factory() as uow:
        uow.session.exec(
            update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id).values(failing_since=None)
        )
        uow.commit()


def _failed_try(
    uow_factory: UnitOfWorkFactory, row: WebhookDelivery, endpoint: WebhookEndpoint, code: int | None, error: str
) -> bool:
    """Record a failed try (retry later, or give up after 3 days); True if the endpoint, failing
    for 3 days now, was disabled."""
    now = utcnow()
    if now - row.created_at >= RETRY_FOR:
        _finish(uow_factory, row, "failed", code, f"Given up after 3 days: {error}")
        FAILED.inc()
    else:
        with uow_factory() as uow:
            uow.session.exec(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id) == row.id, col(WebhookDelivery.status) == "sending")
                .values(
                    status="pending",
                    next_attempt_at=now + backoff(row.attempts),
                    last_status_code=code,
                    last_error=error,
                    lease_until=None,
                )
            )
            uow.commit()
        RETRIED.inc()
    failing_since = endpoint.failing_since or now
    if endpoint.failing_since is None:
        with uow_factory() as uow:
            uow.session.exec(
                update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id).values(failing_since=now)
            )
            uow.commit()
    elif now - failing_since >= DISABLE_AFTER:
        _disable(uow_factory, endpoint, f"The endpoint failed every delivery for 3 days (last: {error}).")
        return True
    return False


def _disable(uow_factory: UnitOfWorkFactory, endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable the endpoint and tell its owner by email (account mail: it cannot be switched off)."""
    from marketplace.notifications.models import Notification

    now = utcnow()
    with uow_factory() as uow:
        changed = uow.session.exec(
            update(WebhookEndpoint)
            .where(col(WebhookEndpoint.id) == endpoint.id, col(WebhookEndpoint.status) == EndpointStatus.active)
            .values(status=EndpointStatus.disabled, disabled_reason=reason[:300])
        )
        owner = uow.session.get(User, endpoint.tasker_id)
        if changed.rowcount == 1 and owner is not None:
            letter = Letter(
                owner.id,
                "webhook.disabled",
                "Your webhook endpoint was disabled",
                [
                    f"We disabled your webhook endpoint {endpoint.url}: {reason}",
                    f"Fix it, then enable it again: POST /api/v1/taskers/me/webhooks/{endpoint.id}/enable",
                ],
            )
            text, html = render(letter, owner)  # account mail: no unsubscribe link
            insert_if_absent(
                uow.session,
                Notification,
                event_id=f"webhook-disabled:{endpoint.id}:{now:%Y%m%d%H%M%S}",
                recipient_id=owner.id,
                channel="email",
                kind="webhook.disabled",
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
            DISABLED.inc()
        uow.commit()
