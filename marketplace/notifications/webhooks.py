"""Webhooks for taskers' apps: a tasker registers an HTTPS endpoint and the kinds it wants; each
event of those kinds becomes a delivery row (one per endpoint and event), sent after commit with
Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`, signed with the
`standardwebhooks` package). The same row design as email: written with the event's processing,
sent by a worker, marked once.

Retries back off exponentially for up to 3 days. A 410 Gone disables the endpoint at once; an
endpoint failing for 3 days is disabled and its owner gets an email. Deliveries to private,
loopback, link-local and other non-public addresses are refused (SSRF) at registration and at every
delivery, and a delivery connects to the address that passed the check (`webhook_urls`); tests
allow loopback with an explicit setting.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from events.envelope import CloudEvent
from events.sqltypes import UTCDateTime
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.errors import Invalid, NotFound
from marketplace.notifications.plans import held
from marketplace.notifications.webhook_urls import BlockedAddress as BlockedAddress  # re-exported for callers
from marketplace.notifications.webhook_urls import check_url
from marketplace.notifications.webhook_urls import public_addresses_only as public_addresses_only  # re-exported

KINDS = {
    "task.available": "A task opens to you in your feed (when your tier's window opens for it)",
    "task.handoff_offered": "A peer offers you a task",
    "message.sent": "A message to you about a task",
    "task.adjustment_decided": "Your claim for extra time was decided",
    "payment.transferred": "A payout",
}
MAX_ENDPOINTS = 10
RETRY_FOR = timedelta(days=3)
MAX_BACKOFF = timedelta(hours=6)


class EndpointStatus(StrEnum):
    active = "active"
    disabled = "disabled"


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    tasker_id: int = Field(foreign_key="users.id", index=True)
    url: str = Field(max_length=500)
    kinds: str = Field(max_length=300)  # comma-separated
    # The signing secret: needed in clear to sign each delivery (as every webhook sender keeps it);
    # shown to its owner once, when made or rotated, and never listed.
    secret: str = Field(max_length=100)
    status: str = Field(default=EndpointStatus.active, max_length=16)
    disabled_reason: str = Field(default="", max_length=300)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def wants(self, kind: str) -> bool:
        return self.status == EndpointStatus.active and kind in self.kinds.split(",")


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    endpoint_id: int = Field(foreign_key="webhook_endpoints.id", index=True)
    event_id: str = Field(max_length=64)
    kind: str = Field(max_length=48)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending, sending, sent, failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _kinds(kinds: list[str]) -> str:
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds or len(set(kinds)) != len(kinds):
        raise Invalid("Check the kinds.", {"kinds": [f"One or more of: {', '.join(KINDS)}; each once."]})
    return ",".join(kinds)


def register(
    uow: UnitOfWork, tasker: User, url: str, kinds: list[str], allow_loopback: bool, resolved: bool = False
) -> WebhookEndpoint:
    """Register an endpoint. The caller resolves the URL's host first, outside the unit of work
    (`check_url`), and says so with `resolved`; otherwise it is resolved here."""
    session = uow.session
    joined = _kinds(kinds)
    url = check_url(url, allow_loopback, resolve=not resolved)
    count = len(session.exec(select(WebhookEndpoint.id).where(col(WebhookEndpoint.tasker_id) == tasker.id)).all())
    if count >= MAX_ENDPOINTS:
        raise Invalid("Too many endpoints.", {"url": [f"At most {MAX_ENDPOINTS} endpoints; delete one first."]})
    endpoint = WebhookEndpoint(tasker_id=tasker.id, url=url, kinds=joined, secret=new_secret())
    session.add(endpoint)
    session.flush()
    return endpoint


def endpoints_of(session: Session, tasker_id: int) -> list[WebhookEndpoint]:
    return list(
        session.exec(
            select(WebhookEndpoint).where(col(WebhookEndpoint.tasker_id) == tasker_id).order_by(col(WebhookEndpoint.id))
        )
    )


def own_endpoint(session: Session, tasker: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.tasker_id != tasker.id:
        raise NotFound(f"No webhook endpoint {endpoint_id} of yours.")
    return endpoint


def rotate(uow: UnitOfWork, tasker: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = own_endpoint(uow.session, tasker, endpoint_id)
    endpoint.secret = new_secret()
    uow.session.add(endpoint)
    uow.session.flush()
    return endpoint


def enable(uow: UnitOfWork, tasker: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = own_endpoint(uow.session, tasker, endpoint_id)
    endpoint.status, endpoint.disabled_reason, endpoint.failing_since = EndpointStatus.active, "", None
    uow.session.add(endpoint)
    uow.session.flush()
    return endpoint


def remove(uow: UnitOfWork, tasker: User, endpoint_id: int) -> None:
    endpoint = own_endpoint(uow.session, tasker, endpoint_id)
    for delivery in uow.session.exec(select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id)):
        uow.session.delete(delivery)
    uow.session.flush()
    uow.session.delete(endpoint)
    uow.session.flush()


def deliveries(session: Session, tasker: User, endpoint_id: int, limit: int = 100) -> list[WebhookDelivery]:
    own_endpoint(session, tasker, endpoint_id)
    return list(
        session.exec(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.endpoint_id) == endpoint_id)
            .order_by(col(WebhookDelivery.id).desc())
            .limit(limit)
        )
    )


def redeliver(uow: UnitOfWork, tasker: User, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now (a new try of the same message: the same `webhook-id`)."""
    own_endpoint(uow.session, tasker, endpoint_id)
    delivery = uow.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound(f"No delivery {delivery_id} on endpoint {endpoint_id}.")
    delivery.status, delivery.next_attempt_at, delivery.lease_until = "pending", utcnow(), None
    delivery.created_at = utcnow()  # a fresh 3 days of retries
    uow.session.add(delivery)
    uow.session.flush()
    return delivery


def _who(event: CloudEvent) -> int | None:
    """The tasker an event is for, among the kinds webhooks carry."""
    d = event.data
    if event.type == "task.handoff_offered":
        return d["to_tasker_id"]
    if event.type == "message.sent":
        return d["recipient_id"]
    if event.type == "task.adjustment_decided":
        return d["tasker_id"]
    return None


def queue(uow: UnitOfWork, kind: str, tasker_id: int, event_id: str, data: dict) -> int:
    """A delivery row per active endpoint of `tasker_id` that wants `kind`; how many are new."""
    session = uow.session
    endpoints = held(
        session,
        ("endpoints", tasker_id),
        lambda: session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.tasker_id) == tasker_id)).all(),
    )
    body = json.dumps({"type": kind, "data": data}, default=_jsonable, separators=(",", ":"))
    now = utcnow()
    return sum(
        insert_if_absent(
            session,
            WebhookDelivery,
            endpoint_id=e.id,
            event_id=event_id,
            kind=kind,
            payload=body,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            last_error="",
            created_at=now,
        )
        for e in endpoints
        if e.wants(kind)
    )


def _jsonable(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def deliver_event(uow: UnitOfWork, event: CloudEvent) -> int:
    """The notifications group's webhook half: queue deliveries for the tasker the event is for."""
    if event.type == "payment.transferred":
        from marketplace.tasks.models import Task

        task = held(uow.session, ("task", event.data["task_id"]), lambda: uow.session.get(Task, event.data["task_id"]))
        tasker_id = task.tasker_id if task is not None else None
    else:
        tasker_id = _who(event)
    if tasker_id is None or event.type not in KINDS:
        return 0
    data = {k: v for k, v in event.data.items() if k != "body" or event.type == "message.sent"}
    return queue(uow, event.type, tasker_id, event.id, data)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** max(0, attempts - 1)), MAX_BACKOFF)
