"""What the registry holds for each kind of notice: who hears it, what their letter says, and what
a webhook delivery of it carries, each a small function of the event's typed view
(events.payloads) and of what the notice is about.

What a notice is about is looked up through `Facts` by the kind's `about`: the task the event names,
for most kinds, but a person (a connection request), a question (an answer to it), or anything a
letter needs that its event does not carry. When it is gone (a task deleted, a question hidden),
the kind writes no letter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from marketplace.notifications.facts import Facts
from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Reader
from marketplace.notifications.models import Mode
from marketplace.tasks.models import Task

V = TypeVar("V")

# What a notice is about, read through Facts from the event's view; None: nothing to write.
About = Callable[[Any, Facts], Any | None]
# Who hears of an event, by the side they read it as: {"client": 7}, or {} for nobody. A None id
# (a task no tasker holds) is nobody too. Called with the view, what it is about, and Facts.
Hears = Callable[[Any, Any, Facts], dict[Reader, int | None]]
Write = Callable[[Any, Any, Facts, Reader], Draft]


def the_task(view: Any, f: Facts) -> Task | None:
    """What most notices are about: the task their event names."""
    return f.task(view.task_id)


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
    readers: tuple[Reader, ...] = ()  # the sides its letter goes to (the preferences page lists it to them)
    about: About = the_task
    default: Mode = Mode.instant  # how a reader who chose nothing hears of it by email

    @property
    def webhook_version(self) -> int:
        assert self.webhook is not None, f"{self.name} is not a webhook kind"
        return self.webhook.version

    @property
    def emailed(self) -> bool:
        return self.hears is not None and self.letter is not None

    def concerns(self, role: str) -> bool:
        """Whether a person of this role may get its letter (an operator: every kind)."""
        return self.emailed and (role not in ("client", "tasker") or role in self.readers)
