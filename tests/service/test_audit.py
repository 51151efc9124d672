"""`floorboard audit` passes on a healthy marketplace and names each invariant that breaks."""

from __future__ import annotations

import uuid
from datetime import timedelta

from click.testing import CliRunner
from sqlmodel import col, delete
from uuid6 import uuid7

from cli import cli
from events.envelope import CloudEvent
from events.tables import ProcessedEvent
from events.topics import dlq_topic
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.payments.models import LedgerEntry
from marketplace.tasks.models import Task, TaskQuote
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import Pipeline


def _audit(platform, *args, grace_s: int = 300):
    env = {
        "DATABASE_URL": platform.settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": "",
        "FLOORBOARD_SWEEP_POSTED_AFTER_S": str(grace_s),
    }
    return CliRunner().invoke(cli, ["audit", *args], env=env)


def _posted_and_priced(platform, n: int) -> list[int]:
    with platform.uow() as uow:
        client = create_user(
            uow.session, f"audit-{uuid.uuid4().hex[:6]}@example.test", "correct horse battery", "client"
        )
        draft = TaskDraft("yard-work", "springfield", "Rake", "", 90, utcnow() + timedelta(days=2))
        ids = [post_task(uow, client.id, draft).id for _ in range(n)]
        uow.commit()
    pipeline = Pipeline(platform, ["pricing"])
    try:
        pipeline.drain()
    finally:
        pipeline.close()
    return ids


def _dead_letter(platform, failed_at) -> None:
    with platform.uow() as uow:
        letter = CloudEvent(
            type="deadletter",
            subject="99",
            data={
                "original_topic": "tasks.posted",
                "original_partition": 0,
                "original_offset": 7,
                "original_key": "99",
                "original_value": "{}",
                "original_event_id": None,
                "consumer": "pricing",
                "error": "LookupError: task 99 is on tasks.posted but not in the database",
                "attempts": 3,
                "failed_at": failed_at,
            },
        )
        uow.emit(letter, key="99", topic=dlq_topic("tasks.posted"))
        uow.commit()


def test_a_healthy_marketplace_passes(platform):
    _posted_and_priced(platform, 3)
    _dead_letter(platform, utcnow() - timedelta(hours=1))  # recent: someone is on it
    result = _audit(platform)
    assert result.exit_code == 0, result.output
    assert "MISSED" not in result.output and "every ledger sums to zero" in result.output


def test_each_broken_invariant_is_named_and_the_exit_is_1(platform):
    first, second, third = _posted_and_priced(platform, 3)
    with platform.uow() as uow:
        session = uow.session
        stuck = session.get(Task, first)  # as if its pricing was rolled back by a crash
        stuck.status, stuck.rule_version = "posted", None
        session.add(stuck)
        session.exec(delete(TaskQuote).where(col(TaskQuote.task_id).in_([first, second])))
        session.add(LedgerEntry(task_id=third, posting="bogus", account="client", amount=-500, reference="x"))
        session.add(ProcessedEvent(consumer="pricing", event_id=uuid7().hex))
        uow.commit()
    _dead_letter(platform, utcnow() - timedelta(hours=30))

    result = _audit(platform)
    assert result.exit_code == 1, result.output
    assert f"task {first} is posted but has 1 tasks.priced" in result.output
    assert f"task {second} (priced) has 0 posted quotes, not 1" in result.output
    assert f"task {third}'s ledger sums to -500 cents" in result.output
    assert "which the log does not hold" in result.output
    assert "dead-lettered key 99" in result.output
    assert result.output.count("MISSED") == 5

    as_json = _audit(platform, "--json", "--dlq-max-age-hours", "48")
    assert as_json.exit_code == 1 and '"check": "no dead letter older than 48 h"' in as_json.output


def test_a_posting_never_priced_is_a_miss_once_overdue(platform):
    with platform.uow() as uow:
        client = create_user(uow.session, "audit-late@example.test", "correct horse battery", "client")
        draft = TaskDraft("yard-work", "springfield", "Rake", "", 90, utcnow() + timedelta(days=2))
        task = post_task(uow, client.id, draft)
        uow.commit()
    assert _audit(platform).exit_code == 0  # just posted: pricing may not have reached it yet
    result = _audit(platform, grace_s=0)  # as if the sweeper's age had passed
    assert result.exit_code == 1 and f"task {task.id} is still posted, " in result.output
