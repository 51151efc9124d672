"""The pricing sweeper finds a posting whose pricing was lost after its offset moved on (what a
PostgreSQL crash with synchronous_commit off did) and sends its task.posted again: the task is
priced once, and /metrics counted it while it was overdue."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlmodel import col, func, select

from api import create_app
from events.tables import EventLogRow, ProcessedEvent
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.tasks.models import Task, TaskQuote
from marketplace.tasks.posting import TaskDraft, post_task
from marketplace.tasks.sweeper import resend_overdue_postings
from tests.support import Pipeline, relay_all, seeded, wait_until
from workers import registry


def _post(platform, client_id: int, title: str) -> int:
    with platform.uow() as uow:
        draft = TaskDraft("yard-work", "springfield", title, "", 90, utcnow() + timedelta(days=2))
        task = post_task(uow, client_id, draft)
        uow.commit()
        return task.id


def _client(platform) -> int:
    with platform.uow() as uow:
        user = create_user(uow.session, "sweeper-client@example.test", "correct horse battery", "client")
        uow.commit()
        return user.id


def _backdate(platform, task_id: int, minutes: int) -> None:
    with platform.uow() as uow:
        task = uow.session.get(Task, task_id)
        task.posted_at = utcnow() - timedelta(minutes=minutes)
        uow.session.add(task)
        uow.commit()


def _priced_events(platform, task_id: int) -> int:
    with platform.uow() as uow:
        return uow.session.exec(
            select(func.count()).where(col(EventLogRow.topic) == "tasks.priced", col(EventLogRow.key) == str(task_id))
        ).one()


def test_a_posting_whose_pricing_was_lost_is_priced_once_by_the_sweeper(backbone):
    platform = seeded(backbone)
    platform.settings = replace(platform.settings, sweep_every_s=0.0)  # sweep at every idle poll
    client_id = _client(platform)
    lost = _post(platform, client_id, "lost in a crash")
    relay_all(platform)

    # The crash: the pricing group's offset moved past the posting, but its pricing never committed.
    pricing = registry()["pricing"].build(platform)
    polled: list = []

    def skip() -> None:
        records = pricing.consumer.poll(0.5, 500)
        pricing.consumer.commit(records)
        polled.extend(records)

    wait_until(lambda: any(r.key == str(lost) for r in polled), timeout=60, step=skip, message="the posting polled")
    pricing.close()

    pipeline = Pipeline(platform, ["pricing"])
    try:
        pipeline.drain()
        with platform.uow() as uow:
            assert uow.session.get(Task, lost).status == "posted"  # nothing else would ever price it

        _backdate(platform, lost, minutes=10)
        app = create_app({"TESTING": True, "METRICS_PORT": 9464}, platform=platform)
        metrics = app.test_client().get("/metrics", environ_overrides={"SERVER_PORT": "9464"}).get_data(as_text=True)
        assert "floorboard_postings_overdue 1.0" in metrics

        fine = _post(platform, client_id, "priced as usual")
        pipeline.until(
            lambda: all(_status(platform, t) == "priced" for t in (lost, fine)), "the lost posting to be priced"
        )
        pipeline.drain()
    finally:
        pipeline.close()
    assert _priced_events(platform, lost) == 1 and _priced_events(platform, fine) == 1
    with platform.uow() as uow:
        quotes = uow.session.exec(select(TaskQuote).where(col(TaskQuote.task_id) == lost)).all()
        assert [q.kind for q in quotes] == ["posted"]
        assert resend_overdue_postings(uow, platform.settings.sweep_posted_after_s) == 0


def _status(platform, task_id: int) -> str:
    with platform.uow() as uow:
        return uow.session.get(Task, task_id).status


def test_the_sweeper_leaves_alone_what_pricing_has_processed_and_what_is_young(platform):
    client_id = _client(platform)
    young = _post(platform, client_id, "just posted")
    handled = _post(platform, client_id, "dead-lettered by pricing")
    _backdate(platform, handled, minutes=10)
    with platform.uow() as uow:
        original = uow.session.exec(
            select(EventLogRow).where(col(EventLogRow.topic) == "tasks.posted", col(EventLogRow.key) == str(handled))
        ).one()
        uow.session.add(ProcessedEvent(consumer="pricing", event_id=original.event_id))
        uow.commit()
    with platform.uow() as uow:
        assert resend_overdue_postings(uow, older_than_s=300) == 0
    assert young  # posted a moment ago: pricing may simply not have reached it yet
