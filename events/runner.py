"""The one consumer runner every worker uses.

For each poll batch: decode, skip what this group has already processed, run the handlers, record
`processed_events`, commit the database, and only then commit the offsets. A crash anywhere means
redelivery, never loss, and redelivery has no second effect.

A *temporary* failure (the database unreachable, a lock or statement timeout, a serialization
failure: see events.outages) is an outage, not a bad event: the runner keeps the batch, stops
fetching, stays in its group, and retries the same work with capped, jittered backoff until it
succeeds. Nothing goes to a DLQ for it.

Any other failure retries the batch one event at a time; an event that fails `max_attempts` times
on a database that answers goes to `<topic>.dlq` with its error, in the same transaction that
marks it processed, and the events behind it keep flowing. An event that cannot even be decoded
goes to the DLQ at once.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter as Counter_
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from events.contracts import decode
from events.envelope import CloudEvent, InvalidEvent
from events.outages import Outage, backoff_delay, describe, is_temporary
from events.payloads import DeadLetter
from events.sqltypes import utcnow
from events.tables import ProcessedEvent
from events.topics import dlq_topic
from events.transport import CommitLost, Consumer, Record

log = logging.getLogger(__name__)

Handler = Callable[[Any, CloudEvent], object]  # (unit of work, event): the order of the use cases it calls

PROCESSED = Counter("floorboard_events_processed_total", "Events handled", ["group", "topic"])
DUPLICATES = Counter("floorboard_events_duplicate_total", "Redelivered events skipped", ["group", "topic"])
DEAD_LETTERED = Counter("floorboard_events_dead_lettered_total", "Events sent to a DLQ", ["group", "topic"])
BATCH_SECONDS = Histogram("floorboard_consumer_batch_seconds", "Time to handle one poll batch", ["group"])
RETRIED = Counter(
    "floorboard_consumer_outage_retries_total", "Work retried because the database was briefly unavailable", ["group"]
)


def in_transaction(uow_factory: Callable[[], Any], apply: Callable[[Any], object]) -> None:
    """`apply(uow)` in a unit of work, committed. Nothing in it calls out of the process: a call
    to make is a row, sent after commit (marketplace/outgoing.py)."""
    with uow_factory() as uow:
        apply(uow)
        uow.commit()


class Stopping(Exception):
    """Raised out of a wait when the worker is told to stop: the batch in hand is left uncommitted,
    so the group's next member receives it again."""


def processed_key(record: Record, event: CloudEvent | InvalidEvent) -> str:
    if isinstance(event, CloudEvent):
        return event.id
    return f"{record.topic}/{record.partition}/{record.offset}"


_CLAIM_PG = text(
    "INSERT INTO processed_events (consumer, event_id, processed_at) "
    "SELECT :group, k, :now FROM unnest(CAST(:keys AS varchar[])) AS k "
    "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
)


def claim(session: Session, group: str, keys: list[str]) -> set[str]:
    """Mark these events processed by `group`; return the keys that were not already.

    One statement claims the whole batch, always probing the unique index, and rolls back with
    the handlers' effects if they fail. On PostgreSQL the ids travel as one array parameter: a
    multi-row VALUES list would be a long, never-cached statement for the driver to parse.
    """
    if not keys:
        return set()
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        return set(session.connection().execute(_CLAIM_PG, {"group": group, "now": now, "keys": keys}).scalars().all())
    table = ProcessedEvent.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
    statement = (
        sqlite_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.consumer, table.c.event_id])
        .returning(table.c.event_id)
    )
    return set(
        session.connection()
        .execute(statement, [{"consumer": group, "event_id": key, "processed_at": now} for key in keys])
        .scalars()
        .all()
    )


class ConsumerRunner:
    def __init__(
        self,
        group: str,
        handlers: dict[str, Handler],
        consumer_factory: Callable[[], Consumer],
        uow_factory: Callable[[], Any],
        *,
        topics: list[str] | None = None,
        batch_size: int = 500,
        max_attempts: int = 3,
        backoff_s: float = 0.2,
        max_backoff_s: float = 10.0,
        before_batch: Callable[[], None] | None = None,
        on_idle: Callable[[], None] | None = None,
        after_db_commit: Callable[[list[Record]], None] | None = None,
    ):
        self.group = group
        self.topics = topics or []  # what the consumer subscribes to: for lag reports
        self.handlers = handlers
        self.consumer_factory = consumer_factory
        self.uow_factory = uow_factory
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.before_batch = before_batch  # e.g. the pricing stage catching up on floors
        self.on_idle = on_idle  # periodic work, run when a poll comes back empty
        self.after_db_commit = after_db_commit  # a seam for crash tests
        self._consumer: Consumer | None = None
        self._stop = threading.Event()  # run() puts its own here
        self.outage = Outage(log, f"{group}: the database")

    @property
    def consumer(self) -> Consumer:
        if self._consumer is None:
            self._consumer = self.consumer_factory()
        return self._consumer

    def run_once(self, timeout_s: float = 0.5) -> int:
        records = self.consumer.poll(timeout_s, self.batch_size)
        if not records:
            if self.on_idle is not None:
                self._until_done(self.on_idle)
            return 0
        if self.before_batch is not None:
            self._until_done(self.before_batch)
        with BATCH_SECONDS.labels(self.group).time():
            items = [(r, self._decode(r)) for r in records]
            self._until_done(lambda: self._apply_batch(items))
        if self.after_db_commit is not None:
            self.after_db_commit(records)
        try:
            self.consumer.commit(records)
        except CommitLost as exc:
            # The partitions moved to another member, which will redeliver; effects are recorded.
            log.info("%s: offset commit lost to a rebalance (%s)", self.group, exc)
        except Exception as exc:
            if not is_temporary(exc):
                raise
            # The effects and processed_events are committed: a commit that did not land costs a
            # redelivery that processed_events absorbs, and the next batch's commit covers these.
            log.warning("%s: offset commit failed (%s); the next commit covers it", self.group, describe(exc))
        return len(records)

    def _until_done(self, work: Callable[[], object]) -> None:
        """Run `work` until it finishes without a temporary failure, waiting between tries with the
        consumer paused (still a member of its group, fetching nothing). Other failures propagate."""
        attempt = 0
        while True:
            try:
                work()
            except Stopping:
                raise
            except Exception as exc:
                if not is_temporary(exc):
                    raise
                self.outage.failed(exc)
                RETRIED.labels(self.group).inc()
                self._wait_paused(backoff_delay(attempt, self.backoff_s, self.max_backoff_s))
                attempt += 1
                continue
            if self.outage.ongoing:
                self._resume()
                self.outage.recovered()
            return

    def _wait_paused(self, seconds: float) -> None:
        try:
            self.consumer.pause()
            # A poll on a paused consumer fetches nothing but counts as a poll, so a wait longer
            # than Kafka's max.poll.interval does not cost the member its place in the group.
            self.consumer.poll(0, 1)
        except Exception as exc:  # noqa: BLE001 - the embedded log's heartbeat needs the very database that is down
            log.debug("%s: keep-alive poll failed: %s", self.group, describe(exc))
        if self._stop.wait(seconds):
            raise Stopping()

    def _resume(self) -> None:
        try:
            self.consumer.resume()
        except Exception as exc:
            if not is_temporary(exc):
                raise
            log.debug("%s: resume failed: %s", self.group, describe(exc))

    def _apply_batch(self, items: list[tuple[Record, CloudEvent | InvalidEvent]]) -> None:
        try:
            in_transaction(self.uow_factory, lambda uow: self._apply(uow, items))
        except Exception as exc:
            if is_temporary(exc):
                raise  # the whole batch waits and is retried as it is
            log.warning("%s: batch of %d failed (%s); retrying one event at a time", self.group, len(items), exc)
            for item in items:
                self._until_done(lambda item=item: self._apply_alone(item))  # type: ignore[misc]

    def _decode(self, record: Record) -> CloudEvent | InvalidEvent:
        try:
            return decode(record.value)
        except InvalidEvent as exc:
            return exc

    def _claim(self, uow: Any, keys: list[str]) -> set[str]:
        return claim(uow.session, self.group, keys)

    def _apply(self, uow: Any, items: list[tuple[Record, CloudEvent | InvalidEvent]]) -> None:
        keys: dict[str, tuple[Record, CloudEvent | InvalidEvent]] = {}
        for record, event in items:
            key = processed_key(record, event)
            if key in keys:  # a relay re-send inside one batch
                DUPLICATES.labels(self.group, record.topic).inc()
            else:
                keys[key] = (record, event)
        fresh = self._claim(uow, list(keys))
        handled: Counter_[str] = Counter_()  # metrics once per batch, not once per event
        for key, (record, event) in keys.items():
            if key not in fresh:
                DUPLICATES.labels(self.group, record.topic).inc()
            elif isinstance(event, InvalidEvent):
                self._dead_letter(uow, record, None, str(event), attempts=1)
            else:
                handler = self.handlers.get(event.type)
                if handler is not None:  # other types may share the topic
                    handler(uow, event)
                    handled[record.topic] += 1
        for topic, count in handled.items():
            PROCESSED.labels(self.group, topic).inc(count)

    def _apply_alone(self, item: tuple[Record, CloudEvent | InvalidEvent]) -> None:
        """Try one event up to max_attempts times; if it fails each time on a database that
        answers, dead-letter it. A temporary failure propagates, for _until_done to wait out."""
        record, event = item
        error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                in_transaction(self.uow_factory, lambda uow: self._apply(uow, [item]))
                return
            except Exception as exc:
                if is_temporary(exc):
                    raise
                error = exc
                log.warning(
                    "%s: %s/%d@%d failed (attempt %d/%d): %s",
                    self.group,
                    record.topic,
                    record.partition,
                    record.offset,
                    attempt,
                    self.max_attempts,
                    exc,
                )
                if attempt < self.max_attempts and self._stop.wait(self.backoff_s * 2 ** (attempt - 1)):
                    raise Stopping() from exc
        with self.uow_factory() as uow:
            # Only an error that repeats on a healthy database is the event's fault: this probe
            # raises a temporary error if the database is not answering, and the event is retried.
            uow.session.execute(text("SELECT 1"))
            event_id = event.id if isinstance(event, CloudEvent) else None
            self._dead_letter(uow, record, event_id, f"{type(error).__name__}: {error}", self.max_attempts)
            self._claim(uow, [processed_key(record, event)])
            uow.commit()

    def _dead_letter(self, uow: Any, record: Record, event_id: str | None, error: str, attempts: int) -> None:
        log.error("%s: dead-lettering %s/%d@%d: %s", self.group, record.topic, record.partition, record.offset, error)
        DEAD_LETTERED.labels(self.group, record.topic).inc()
        subject = record.key or f"{record.topic}/{record.partition}/{record.offset}"
        letter = DeadLetter(
            original_topic=record.topic,
            original_partition=record.partition,
            original_offset=record.offset,
            original_key=record.key,
            original_value=record.value.decode("utf-8", errors="replace"),
            original_event_id=event_id,
            consumer=self.group,
            error=error[:2000],
            attempts=attempts,
            failed_at=utcnow(),
        )
        uow.emit(letter.event(subject=subject), key=record.key or subject, topic=dlq_topic(record.topic))

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        log.info("%s: consuming", self.group)
        attempt = 0
        while not stop.is_set():
            try:
                self.run_once()
                attempt = 0
                self.outage.recovered()
            except Stopping:
                break
            except Exception as exc:
                if is_temporary(exc):
                    # The embedded log polls the database itself: wait for it, keeping our place.
                    self.outage.failed(exc)
                    stop.wait(backoff_delay(attempt, self.backoff_s, self.max_backoff_s))
                    attempt += 1
                    continue
                # Rejoin from the committed offsets so nothing polled but unhandled is skipped.
                log.exception("%s: runner error; rejoining the group in 1s", self.group)
                self.close()
                stop.wait(1.0)
        self.close()
        log.info("%s: stopped", self.group)

    def close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close()
            except Exception:  # noqa: BLE001 - closing a broken consumer must not mask the cause
                log.warning("%s: error while closing consumer", self.group, exc_info=True)
            self._consumer = None
