"""The kinds of notice, one entry each (kinds.kind.Kind): its label, who hears it, their letter,
and what a webhook delivery of it carries. The preferences (prefs), the webhook kinds taskers
subscribe to (webhooks), the API's lists of both, and the letters (plans) all read this registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from marketplace.notifications.kinds import community, messages, network, payments, reviews, tasks
from marketplace.notifications.kinds.feed import AVAILABLE, available_payload
from marketplace.notifications.kinds.kind import Kind

__all__ = [
    "AVAILABLE",
    "EMAILED",
    "KINDS",
    "MONEY",
    "WEBHOOKS",
    "about",
    "available_payload",
    "emailed_about",
    "webhook_body",
    "webhooks_about",
]

KINDS: dict[str, Kind[Any]] = {
    kind.name: kind
    for kind in (
        AVAILABLE,
        *tasks.KINDS,
        *network.KINDS,
        *community.KINDS,
        *reviews.KINDS,
        *messages.KINDS,
        *payments.KINDS,
    )
}
EMAILED: dict[str, Kind[Any]] = {name: kind for name, kind in KINDS.items() if kind.emailed}
WEBHOOKS: dict[str, Kind[Any]] = {name: kind for name, kind in KINDS.items() if kind.webhook is not None}
MONEY: frozenset[str] = frozenset(name for name, kind in KINDS.items() if kind.money)


def webhook_body(kind: str, data: dict[str, Any], at: datetime) -> str:
    """A delivery's JSON body: the versioned envelope around the kind's public data (times in ISO
    8601), as docs/webhooks.md describes it. `at`: when what it reports happened."""
    envelope = {"type": kind, "version": KINDS[kind].webhook_version, "timestamp": at, "data": data}
    return orjson.dumps(envelope).decode()  # datetimes as RFC 3339, which is ISO 8601


def about(event_type: str) -> list[Kind[Any]]:
    """The kinds an event of this type may give rise to (none for most events of a shared topic)."""
    return _BY_EVENT.get(event_type, [])


def emailed_about(event_type: str) -> list[Kind[Any]]:
    """The kinds an event of this type may be emailed as."""
    return _EMAILED_BY_EVENT.get(event_type, [])


def webhooks_about(event_type: str) -> list[Kind[Any]]:
    """The webhook kinds an event of this type may be delivered as."""
    return _WEBHOOKS_BY_EVENT.get(event_type, [])


_BY_EVENT: dict[str, list[Kind[Any]]] = {}
for _kind in KINDS.values():
    if _kind.event is not None:
        _BY_EVENT.setdefault(_kind.event, []).append(_kind)
_EMAILED_BY_EVENT = {name: [k for k in kinds if k.emailed] for name, kinds in _BY_EVENT.items()}
_WEBHOOKS_BY_EVENT = {name: [k for k in kinds if k.webhook is not None] for name, kinds in _BY_EVENT.items()}
