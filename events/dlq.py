"""Dead letters: list them, and replay them onto their original topic once their cause is fixed.

Replaying an event clears the failing group's `processed_events` mark for it and appends the
original bytes, unchanged, to the original topic through the outbox. Groups that had already
processed it still skip it. Each dead letter is replayed at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, delete

from events.contracts import decode
from events.envelope import InvalidEvent
from events.tables import ProcessedEvent
from events.topics import DLQ_SUFFIX, dlq_topic
from events.transport import Transport


@dataclass(frozen=True)
class DeadLetterView:
    dlq_event_id: str
    topic: str
    key: str | None
    consumer: str
    error: str
    attempts: int
    failed_at: str
    original_event_id: str | None
    original_value: str


def list_dead_letters(transport: Transport, topic: str) -> list[DeadLetterView]:
    out = []
    for record in transport.read_topic(dlq_topic(topic)):
        dl = decode(record.value)
        d = dl.data
        out.append(
            DeadLetterView(
                dl.id,
                d["original_topic"],
                d["original_key"],
                d["consumer"],
                d["error"],
                d["attempts"],
                d["failed_at"].isoformat(),
                d["original_event_id"],
                d["original_value"],
            )
        )
    return out


@dataclass
class ReplayResult:
    replayed: int = 0
    already_replayed: int = 0
    undecodable: int = 0


def replay_dead_letters(
    transport: Transport, uow_factory: Callable[[], Any], topic: str, progress: Callable[[], None] | None = None
) -> ReplayResult:
    if topic.endswith(DLQ_SUFFIX):
        topic = topic[: -len(DLQ_SUFFIX)]
    result = ReplayResult()
    marker = f"dlq-replay:{topic}"
    letters = list_dead_letters(transport, topic)
    for letter in letters:
        if progress:
            progress()
        with uow_factory() as uow:
            session = uow.session
            if session.get(ProcessedEvent, (marker, letter.dlq_event_id)) is not None:
                result.already_replayed += 1
                continue
            raw = letter.original_value.encode()
            try:
                original = decode(raw)
            except InvalidEvent:
                # Replaying bytes that can never decode would only dead-letter them again.
                result.undecodable += 1
                continue
            session.exec(
                delete(ProcessedEvent).where(
                    col(ProcessedEvent.consumer) == letter.consumer, col(ProcessedEvent.event_id) == original.id
                )
            )
            uow.outbox.add_raw(session, topic, letter.key or original.subject, original.id, raw)
            session.add(ProcessedEvent(consumer=marker, event_id=letter.dlq_event_id))
            uow.commit()
            result.replayed += 1
    return result


def count_dead_letters(transport: Transport, topics: list[str]) -> dict[str, int]:
    return {t: transport.count(dlq_topic(t)) for t in topics}
