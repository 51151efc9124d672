"""What the registry holds for each kind of notice: who hears it, what their letter says, and what
a webhook delivery of it carries, each a small function of the event's typed view
(events.payloads) and the task it is about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from marketplace.notifications.facts import Facts
from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Reader
from marketplace.tasks.models import Task

V = TypeVar("V")

# Who hears of an event, by the side they read it as: {"client": 7}, or {} for nobody. A None id
# (a task no tasker holds) is nobody too.
Hears = Callable[[V, Task, Facts], dict[Reader, int | None]]
Write = Callable[[V, Task, Facts, Reader], Draft]


@dataclass(frozen=True)
class Webhook(Generic[V]):
    """A kind taskers' apps may subscribe to: the tasker a delivery is for (None: nobody), and its
    public data, named field by field (docs/webhooks.md; the JSON Schema in
    webhook_schemas/<kind>.json). Both read the event alone where they can: the task is looked up
    (`Facts.task`) only by the kinds that need it."""

    to: Callable[[V, Facts], int | None]
    data: Callable[[V, Facts], dict[str, Any]]
    version: int = 1


@dataclass(frozen=True)
class Kind(Generic[V]):
    name: str
    label: str  # what it is, in the words of the preferences page and the webhook kinds' list
    event: str | None  # the event type it is about; None: written by a sweep (task.available)
    hears: Hears | None = None  # None: never emailed
    letter: Write | None = None
    money: bool = False  # account and money mail: cannot be switched off, no unsubscribe link
    webhook: Webhook | None = None

    @property
    def webhook_version(self) -> int:
        assert self.webhook is not None, f"{self.name} is not a webhook kind"
        return self.webhook.version

    @property
    def emailed(self) -> bool:
        return self.hears is not None and self.letter is not None
