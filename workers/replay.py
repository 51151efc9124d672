"""`floorboard replay reputation|tips|network|market|reviews`: rebuild a projection from the log.

The projection's tables and its group's `processed_events` are cleared and every event on its
topics is applied again from the beginning, in one transaction, with the live handlers (minus
their outgoing announcements). The live group then skips what the replay already applied. Stop
the group's workers while replaying on SQLite: the replay holds the write lock until it commits.

The log is read and applied in chunks, so memory stays flat however long the log is: each chunk
is claimed in one statement and applied under one savepoint by the projection's batch form (the
same rows as applying the events one at a time, in far fewer statements); reputation holds each
row's counts in memory and writes the row once (see HeldReputation). Only a chunk holding a
failing event is applied again one event at a time, to skip just that event (the live group
dead-lettered it too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import col, delete

from events.contracts import decode
from events.envelope import CloudEvent, InvalidEvent
from events.outages import is_temporary
from events.runner import claim, processed_key
from events.tables import ProcessedEvent
from events.topics import CONSUMER_GROUPS
from events.transport import Record
from marketplace.community import reputation
from marketplace.community.boards import project_tip_events
from marketplace.community.models import BoardEntry
from marketplace.community.reputation import HeldReputation
from marketplace.market import models as market_models
from marketplace.market.projection import project_market_events
from marketplace.taskers import mentoring
from marketplace.tasks import reviews as review_reveals

log = logging.getLogger(__name__)


class Applier(Protocol):
    """How a replay applies its chunks: `add` each one (as if its events were applied one at a
    time), and `flush` whatever it holds when `full`, and at the end."""

    @property
    def full(self) -> bool: ...

    def add(self, uow: Any, events: list[CloudEvent]) -> None: ...

    def flush(self, uow: Any) -> None: ...


@dataclass
class Immediate:
    """Writes each chunk as it comes."""

    apply: Callable[[Any, list[CloudEvent]], object]
    full: bool = False

    def add(self, uow: Any, events: list[CloudEvent]) -> None:
        self.apply(uow, events)

    def flush(self, uow: Any) -> None:
        pass


@dataclass(frozen=True)
class Projection:
    group: str
    topics: tuple[str, ...]
    tables: tuple
    applier: Callable[[], Applier]


PROJECTIONS = {
    # None announces anything: a replay must not announce changes a second time.
    "reputation": Projection("reputation", CONSUMER_GROUPS["reputation"], reputation.PROJECTION_TABLES, HeldReputation),
    "tips": Projection("tips", CONSUMER_GROUPS["tips"], (BoardEntry,), lambda: Immediate(project_tip_events)),
    "network": Projection(
        "network",
        CONSUMER_GROUPS["network"],
        mentoring.PROJECTION_TABLES,
        lambda: Immediate(mentoring.project_endorsement_events),
    ),
    "reviews": Projection(
        "reviews",
        CONSUMER_GROUPS["reviews"],
        review_reveals.PROJECTION_TABLES,
        lambda: Immediate(review_reveals.project_review_events),
    ),
    "market": Projection(
        "market", CONSUMER_GROUPS["market"], market_models.PROJECTION_TABLES, lambda: Immediate(project_market_events)
    ),
}


CHUNK = 5000  # events read, claimed and applied together


@dataclass
class ReplayResult:
    events: int = 0
    applied: int = 0
    skipped: int = 0  # undecodable or failing events: the live group dead-lettered them too


def replay(
    platform, name: str, on_progress: Callable[[int, int], None] | None = None, chunk: int = CHUNK
) -> ReplayResult:
    """Rebuild projection `name`; `on_progress(done, total)` after each chunk. A temporary
    failure (the database or the broker going away) propagates and the transaction rolls back,
    leaving the projection as it was."""
    projection = PROJECTIONS[name]
    total = sum(platform.transport.count(topic) for topic in projection.topics)
    result = ReplayResult()
    with platform.uow() as uow:
        session = uow.session
        for table in projection.tables:
            session.exec(delete(table))
        session.exec(delete(ProcessedEvent).where(col(ProcessedEvent.consumer) == projection.group))
        applier = projection.applier()
        for topic in projection.topics:
            reader = platform.transport.topic_reader(topic, within=session)
            try:
                while records := reader.read_new(max_records=chunk):
                    _apply_chunk(uow, applier.add, projection.group, name, records, result)
                    if applier.full:
                        applier.flush(uow)
                    session.flush()
                    session.expunge_all()  # applied rows are in the transaction; keep none in memory
                    if on_progress is not None:
                        on_progress(result.events, max(total, result.events))
            finally:
                reader.close()
        applier.flush(uow)
        uow.commit()
    return result


def _apply_chunk(
    uow,
    apply: Callable[[Any, list[CloudEvent]], None],
    group: str,
    name: str,
    records: list[Record],
    result: ReplayResult,
) -> None:
    session = uow.session
    result.events += len(records)
    chunk: dict[str, tuple[Record, CloudEvent | InvalidEvent]] = {}
    for record in records:
        event: CloudEvent | InvalidEvent
        try:
            event = decode(record.value)
        except InvalidEvent as exc:
            event = exc
        chunk.setdefault(processed_key(record, event), (record, event))  # a relay re-send counts once
    fresh = claim(session, group, list(chunk))
    todo: list[tuple[Record, CloudEvent]] = []
    for key, (record, event) in chunk.items():
        if key not in fresh:
            continue
        if isinstance(event, InvalidEvent):
            result.skipped += 1
        else:
            todo.append((record, event))
    try:
        with session.begin_nested():
            apply(uow, [event for _, event in todo])
        result.applied += len(todo)
        return
    except Exception as exc:
        if is_temporary(exc):
            raise
    for record, event in todo:  # one of them fails: find which, and apply the rest
        try:
            with session.begin_nested():
                apply(uow, [event])
            result.applied += 1
        except Exception as exc:
            if is_temporary(exc):
                raise
            log.warning("replay %s: %s/%d@%d skipped: %s", name, record.topic, record.partition, record.offset, exc)
            result.skipped += 1
