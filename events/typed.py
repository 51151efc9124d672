"""The base of every typed event (events/payloads.py): one frozen dataclass per event type, which a
producer builds and turns into its CloudEvent (`TaskCancelled(...).event(subject=task.id)`), and a
handler reads back from one (`TaskCancelled.of(event)`), so both sides name the same fields.

A class several types share (TaskLifecycle, PaymentEvent, ...) has no TYPE of its own: it is read
as a view of any of them, and each type is built from its own subclass."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar, Self

from events.envelope import CloudEvent


@dataclass(frozen=True, kw_only=True)
class TypedEvent:
    TYPE: ClassVar[str] = ""  # the registered type name (events.contracts.EVENT_TYPES)

    @classmethod
    def of(cls, event: CloudEvent) -> Self:
        """The view of an event its schema already validated (decode, or a producer's own)."""
        data = event.data
        # A field with a default may be missing from an event written before it existed.
        found = fields(cls)
        return cls(**{f.name: data[f.name] if f.name in data or f.default is MISSING else f.default for f in found})

    def data(self) -> dict[str, Any]:
        """The payload, field for field (nested quotes and floor versions stay the dicts they are).
        An instance's own attributes are exactly its fields (frozen, and TYPE is the class's), so
        this copies them in their order without walking fields() (a quarter of the cost)."""
        return dict(self.__dict__)

    def event(self, subject: str | int) -> CloudEvent:
        """This payload in its envelope, about `subject` (a new id; the time is now)."""
        if not self.TYPE:
            raise TypeError(f"{type(self).__name__} is shared by several event types: build one of its subclasses")
        return CloudEvent(type=self.TYPE, subject=str(subject), data=self.data())
