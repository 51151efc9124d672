"""Retention prunes processed_events, the published outbox and the embedded log past their
windows, and never lets an event inside the window be processed twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, func, select

from events.retention import RetentionPolicy, prune
from events.tables import EventLogRow, ProcessedEvent
from marketplace.clock import utcnow
from tests.support import create_sink, effect_rows, emit_posted, recording_handler, relay_all, wait_until
from workers.consumer import build_runner

OLD = timedelta(days=8)  # past the 7-day windows


def _handled_all(platform, runner, count: int) -> None:
    def step():
        relay_all(platform)
        runner.run_once(timeout_s=0.2)

    wait_until(lambda: len(effect_rows(platform)) >= count, timeout=90, step=step, message=f"{count} handled")


def _age(platform, task_ids: range) -> None:
    """Make these events, and the pricing group's marks for them, 8 days old."""
    keys = [str(i) for i in task_ids]
    then = utcnow() - OLD
    with platform.uow() as uow:
        ids = uow.session.exec(select(EventLogRow.event_id).where(col(EventLogRow.key).in_(keys))).all()
        uow.session.exec(
            update(EventLogRow)
            .where(col(EventLogRow.key).in_(keys))
            .values(created_at=then, published_at=then if platform.transport.name == "kafka" else None)
        )
        uow.session.exec(update(ProcessedEvent).where(col(ProcessedEvent.event_id).in_(ids)).values(processed_at=then))
        uow.commit()


def _count(platform, model, *where) -> int:
    with platform.uow() as uow:
        return uow.session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_pruning_never_lets_an_event_inside_the_window_be_processed_twice(backbone):
    platform = backbone
    create_sink(platform)
    emit_posted(platform, [(i, 0) for i in range(1, 41)])
    runner = build_runner(
        platform, "pricing", {"task.posted": recording_handler("a")}
    )  # the group that reads tasks.posted
    try:
        _handled_all(platform, runner, 40)
        _age(platform, range(1, 21))
        pruned = prune(platform.engine, platform.transport.name, RetentionPolicy())
        assert pruned.processed == 20
        assert (pruned.published if platform.transport.name == "kafka" else pruned.log) == 20
        assert _count(platform, ProcessedEvent, col(ProcessedEvent.consumer) == "pricing") == 20
        assert _count(platform, EventLogRow, col(EventLogRow.topic) == "tasks.posted") == 20

        # Everything the log still holds is delivered again (a relay re-send, a lost offset commit).
        with platform.uow() as uow:
            rows = uow.session.exec(select(EventLogRow).where(col(EventLogRow.topic) == "tasks.posted")).all()
            for row in rows:
                uow.outbox.add_raw(uow.session, row.topic, row.key, row.event_id, row.value)
            uow.commit()
        emit_posted(platform, [(41, 0)])
        _handled_all(platform, runner, 41)
    finally:
        runner.close()
    assert sorted(r.task_id for r in effect_rows(platform)) == list(range(1, 42)), "an event was processed twice"


def test_the_embedded_log_keeps_what_a_group_has_not_read_and_compacts_floors(sqlite_url, make_platform):
    from tests.support import seeded

    platform = seeded(make_platform(sqlite_url))
    emit_posted(platform, [(i, 0) for i in range(1, 11)])
    _age(platform, range(1, 11))  # old, but the pricing group has read none of them
    floors_before = _count(platform, EventLogRow, col(EventLogRow.topic) == "pricing.floors")
    with platform.uow() as uow:
        keys = len(set(uow.session.exec(select(EventLogRow.key).where(col(EventLogRow.topic) == "pricing.floors"))))
    with platform.uow() as uow:  # a second version of every floor: the first rows are superseded
        for row in uow.session.exec(select(EventLogRow).where(col(EventLogRow.topic) == "pricing.floors")).all():
            uow.outbox.add_raw(uow.session, row.topic, row.key, row.event_id + "x", row.value)
        uow.commit()
    pruned = prune(platform.engine, "embedded", RetentionPolicy())
    assert pruned.log == 0 and _count(platform, EventLogRow, col(EventLogRow.topic) == "tasks.posted") == 10
    assert pruned.compacted == floors_before
    assert _count(platform, EventLogRow, col(EventLogRow.topic) == "pricing.floors") == keys
