"""`floorboard replay reputation|tips`: rebuild a projection from the log.

The projection's tables and its group's `processed_events` are cleared and every event on its
topics is applied again from the beginning, in one transaction, with the live handlers (minus
their outgoing announcements). The live group then skips what the replay already applied. Stop
the group's workers while replaying on SQLite: the replay holds the write lock until it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlmodel import col, delete

from events.contracts import decode
from events.envelope import CloudEvent, InvalidEvent
from events.runner import Handler, claim, processed_key
from events.tables import ProcessedEvent
from events.topics import CONSUMER_GROUPS
from marketplace.community.boards import project_tip_event
from marketplace.community.models import BoardEntry, KarmaTip, Reputation
from marketplace.community.reputation import project_reputation_event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Projection:
    group: str
    topics: tuple[str, ...]
    tables: tuple
    apply: Handler  # (uow, event) -> None


PROJECTIONS = {
    "reputation": Projection(
        "reputation",
        CONSUMER_GROUPS["reputation"],
        (Reputation, KarmaTip),
        partial(project_reputation_event, emit=False),
    ),
    "tips": Projection("tips", CONSUMER_GROUPS["tips"], (BoardEntry,), project_tip_event),
}


@dataclass
class ReplayResult:
    events: int = 0
    applied: int = 0
    skipped: int = 0  # undecodable or failing events: the live group dead-lettered them too


def replay(platform, name: str, on_progress: Callable[[int, int], None] | None = None) -> ReplayResult:
    projection = PROJECTIONS[name]
    records = []
    for topic in projection.topics:
        reader = platform.transport.topic_reader(topic)
        try:
            records.extend(reader.read_new())
        finally:
            reader.close()
    result = ReplayResult(events=len(records))
    with platform.uow() as uow:
        session = uow.session
        for table in projection.tables:
            session.exec(delete(table))
        session.exec(delete(ProcessedEvent).where(col(ProcessedEvent.consumer) == projection.group))
        for done, record in enumerate(records, 1):
            event: CloudEvent | InvalidEvent
            try:
                event = decode(record.value)
            except InvalidEvent as exc:
                event = exc
            if claim(session, projection.group, [processed_key(record, event)]) and not isinstance(event, InvalidEvent):
                try:
                    with session.begin_nested():
                        projection.apply(uow, event)
                    result.applied += 1
                except Exception as exc:  # noqa: BLE001 - the live group dead-lettered this one as well
                    log.warning(
                        "replay %s: %s/%d@%d skipped: %s", name, record.topic, record.partition, record.offset, exc
                    )
                    result.skipped += 1
            elif isinstance(event, InvalidEvent):
                result.skipped += 1
            if on_progress is not None:
                on_progress(done, len(records))
        uow.commit()
    return result
