"""The floor table the pricing stage prices from: every version of every floor, in memory, kept current
from the compacted pricing.floors topic."""

from __future__ import annotations

import logging
from datetime import datetime

from events.contracts import decode
from events.envelope import CloudEvent, InvalidEvent
from events.payloads import FloorsChanged
from marketplace.floors.versions import RULE_FIELDS
from pricing import FloorRule
from pricing.rules import rule_in_force

log = logging.getLogger(__name__)


class FloorTable:
    """The pricing stage's in-memory rules, rebuilt from the compacted `pricing.floors` topic."""

    def __init__(self):
        self._versions: dict[tuple[str, str], list[FloorRule]] = {}

    def apply(self, event: CloudEvent) -> None:
        changed = FloorsChanged.of(event)
        self._versions[(changed.category, changed.region)] = [
            FloorRule(
                category=changed.category,
                region=changed.region,
                version=v["version"],
                effective_from=v["effective_from"],
                author=v["author"],
                reason=v["reason"],
                **{name: v[name] for name in RULE_FIELDS},
            )
            for v in changed.versions
        ]

    def rule_in_force(self, category: str, region: str, at: datetime) -> FloorRule | None:
        return rule_in_force(self._versions.get((category, region), []), at)

    def keys(self) -> list[tuple[str, str]]:
        return sorted(self._versions)

    def __len__(self) -> int:
        return len(self._versions)


class FloorFeed:
    """Keeps a FloorTable current by reading `pricing.floors` up to its end before each batch.

    The relay publishes in commit order, so a change committed before a posting is on the topic
    before the posting: catching up first means a task is never priced with a stale table.
    """

    def __init__(self, transport, table: FloorTable | None = None):
        self.table = table or FloorTable()
        self._reader = transport.topic_reader("pricing.floors")

    def catch_up(self) -> int:
        records = self._reader.read_new()
        for record in records:
            try:
                self.table.apply(decode(record.value))
            except InvalidEvent as exc:  # producers validate, so this is a bug worth shouting about
                log.error("pricing.floors@%d is invalid and was skipped: %s", record.offset, exc)
        return len(records)

    def close(self) -> None:
        self._reader.close()
