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
from marketplace.notifications.facts import Facts, held
from marketplace.notifications.kinds import WEBHOOKS, webhook_body, webhooks_about
from marketplace.notifications.webhook_urls import BlockedAddress as BlockedAddress  # re-exported for callers
from marketplace.notifications.webhook_urls import check_url
from marketplace.notifications.webhook_urls import public_addresses_only as public_addresses_only  # re-exported

# The kinds an endpoint may subscribe to, and what each is (the registry's webhook kinds).
KINDS = {name: kind.label for name, kind in WEBHOOKS.items()}
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

    @property
    def is_disabled(self) -> bool:
        return self.status == EndpointStatus.disabled


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

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


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


def queue(uow: UnitOfWork, kind: str, tasker_id: int, event_id: str, data: dict, at: datetime | None = None) -> int:
    """A delivery row per active endpoint of `tasker_id` that wants `kind`, carrying `data` in the
    versioned envelope (kinds.webhook_body; `at`: when it happened, now by default); how many are new."""
    session = uow.session
    endpoints = held(
        session,
        ("endpoints", tasker_id),
        lambda: session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.tasker_id) == tasker_id)).all(),
    )
    now = utcnow()
    body = webhook_body(kind, data, at or now)
    uow.wake_on_commit(WebhookDelivery.__tablename__)  # the webhooks sender
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


def deliver_event(uow: UnitOfWork, event: CloudEvent) -> None:
    """The notifications group's webhook half: when `uow` commits, a delivery row for each active
    endpoint of the tasker the event is for that wants its kind, carrying the kind's public payload
    (never the event's own dict). An event handed in twice in one unit of work is written once;
    the group's processed mark, committed with the rows, keeps a redelivered event from being
    written again (and the unique (endpoint, event) key stands behind it)."""
    if not webhooks_about(event.type):
        return
    batch: _Deliveries | None = uow.session.info.get(_Deliveries)
    if batch is None:
        batch = uow.session.info[_Deliveries] = _Deliveries(uow)
        uow.before_commit(_Deliveries, batch.write)
    batch.events.setdefault(event.id, event)


class _Deliveries:
    """One unit of work's events, written at its commit: one read of the tasks and one of the
    endpoints for the batch, and one bulk write."""

    def __init__(self, uow: UnitOfWork):
        self.uow = uow
        self.events: dict[str, CloudEvent] = {}

    def write(self) -> None:
        session = self.uow.session
        del session.info[_Deliveries]  # a later event in this unit of work starts a new batch
        facts = Facts(session)
        views = {event.id: facts.view(event) for event in self.events.values()}
        facts.load({getattr(view, "task_id", None) for view in views.values()}, set())
        wanted = []  # (event, kind, tasker)
        for event in self.events.values():
            for kind in webhooks_about(event.type):
                assert kind.webhook is not None  # a webhook kind
                if (tasker_id := kind.webhook.to(views[event.id], facts)) is not None:
                    wanted.append((event, kind, tasker_id))
        if not wanted:
            return
        subscribed: dict[int, list[tuple[int, set[str]]]] = {}  # tasker: [(endpoint, its kinds)]
        for endpoint in session.exec(
            select(WebhookEndpoint).where(
                col(WebhookEndpoint.tasker_id).in_({tasker_id for _, _, tasker_id in wanted}),
                col(WebhookEndpoint.status) == EndpointStatus.active,
            )
        ):
            subscribed.setdefault(endpoint.tasker_id, []).append((endpoint.id, set(endpoint.kinds.split(","))))
        now = utcnow()
        for event, kind, tasker_id in wanted:
            endpoints = [endpoint_id for endpoint_id, kinds in subscribed.get(tasker_id, []) if kind.name in kinds]
            if not endpoints:
                continue
            assert kind.webhook is not None  # as found above
            body = webhook_body(kind.name, kind.webhook.data(views[event.id], facts), event.time)
            self.uow.wake_on_commit(WebhookDelivery.__tablename__)  # the webhooks sender
            for endpoint_id in endpoints:
                self.uow.stage(
                    WebhookDelivery.__table__,  # type: ignore[attr-defined]  # SQLModel sets it on table classes
                    {
                        "endpoint_id": endpoint_id,
                        "event_id": event.id,
                        "kind": kind.name,
                        "payload": body,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "last_error": "",
                        "created_at": now,
                    },
                )


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** max(0, attempts - 1)), MAX_BACKOFF)
