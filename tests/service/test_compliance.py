"""`floorboard compliance report`: tasks paid under the legal minimum in force when they were
completed, over the region's local month, across a change of the minimum; and the legal minimums'
history (a floor under one scheduled later is refused)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from cli import cli
from marketplace.accounts.users import create_user
from marketplace.floors.legal import MinimumChange, binding_from, minimum_at, required_pay, set_minimum
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.market.compliance import report
from marketplace.tasks.models import Task, TaskQuote, TaskStatus
from pricing import FloorRuleError

# Seattle's seeded minimum: 45 cents a minute and 520 a task. From 2026-11-15 00:00 in Seattle
# (08:00 UTC, PST) this test's minimum asks 50 a minute and 600 a task.
RAISED = datetime(2026, 11, 15, 8, 0, tzinfo=UTC)


def _completed(session, client_id, tasker_id, completed_at, minutes, payout) -> int:
    task = Task(
        client_id=client_id,
        category="yard-work",
        region="seattle",
        title="Rake leaves",
        estimated_minutes=minutes,
        starts_at=completed_at - timedelta(minutes=minutes),
        status=TaskStatus.completed,
        priced_at=completed_at - timedelta(days=2),
        rule_version=1,
        tasker_id=tasker_id,
        accepted_at=completed_at - timedelta(days=1),
        started_at=completed_at - timedelta(minutes=minutes),
        completed_at=completed_at,
        minutes_worked=minutes,
    )
    session.add(task)
    session.flush()
    session.add(
        TaskQuote(
            task_id=task.id, kind="final", rate=2700, billable_minutes=minutes, subtotal=payout, service_fee=0,
            trust_fee=0, commission=0, total=payout, payout=payout, platform=0, rule_version=1,
        )
    )  # fmt: skip
    return task.id


@pytest.fixture
def month(platform):
    """October clean; November with one task under the raised minimum, one under the old one, and
    two paid right."""
    with platform.uow() as uow:
        s = uow.session
        client = create_user(s, "c@example.com", "correct horse battery", "client", "C")
        tasker = create_user(s, "t@example.com", "correct horse battery", "tasker", "T")
        set_minimum(uow, MinimumChange("seattle", RAISED, per_minute=50, per_task=600, source="test: raised"), "test")
        ids = {
            # 2026-10-31 23:30 in Seattle (PDT): October's, though it is November in UTC.
            "october": _completed(s, client.id, tasker.id, datetime(2026, 11, 1, 6, 30, tzinfo=UTC), 60, 2700),
            "fine_before": _completed(s, client.id, tasker.id, datetime(2026, 11, 10, 18, 0, tzinfo=UTC), 60, 2700),
            "short_before": _completed(s, client.id, tasker.id, datetime(2026, 11, 12, 18, 0, tzinfo=UTC), 60, 2600),
            # The old minimum would pass it (2700 for 60 minutes); the raised one asks 3000.
            "short_after": _completed(s, client.id, tasker.id, datetime(2026, 11, 20, 18, 0, tzinfo=UTC), 60, 2700),
            "small_after": _completed(s, client.id, tasker.id, datetime(2026, 11, 21, 18, 0, tzinfo=UTC), 5, 550),
            "fine_after": _completed(s, client.id, tasker.id, datetime(2026, 11, 22, 18, 0, tzinfo=UTC), 60, 3000),
        }
        uow.commit()
    return ids


def test_the_minimum_in_force_at_the_time_decides(platform, month):
    with platform.uow() as uow:
        november = report(uow.session, "seattle", "2026-11")
        october = report(uow.session, "seattle", "2026-10")
    assert october.checked == 1 and october.clean
    assert november.checked == 5 and not november.clean
    found = {(s.task_id, s.rule): (s.required, s.shortfall) for s in november.shortfalls}
    assert found == {
        (month["short_before"], "per minute"): (2700, 100),
        (month["short_after"], "per minute"): (3000, 300),
        (month["small_after"], "per task"): (600, 50),
    }
    assert all(s.completed_local.endswith(("PST", "PDT")) for s in november.shortfalls)


def test_the_command_exits_1_on_a_shortfall_and_0_when_clean(platform, month, sqlite_url):
    env = {"DATABASE_URL": sqlite_url, "SECRET_KEY": secrets.token_urlsafe(32), "KAFKA_BOOTSTRAP_SERVERS": ""}
    runner = CliRunner()
    clean = runner.invoke(cli, ["compliance", "report", "--region", "seattle", "--month", "2026-10"], env=env)
    assert clean.exit_code == 0, clean.output
    assert "1 completed task(s) checked in seattle, 2026-10: clean." in clean.output
    table = runner.invoke(cli, ["compliance", "report", "--region", "seattle", "--month", "2026-11"], env=env)
    assert table.exit_code == 1 and "3 shortfall(s)" in table.output and "per task" in table.output
    as_json = runner.invoke(
        cli, ["compliance", "report", "--region", "seattle", "--month", "2026-11", "--json"], env=env
    )
    body = json.loads(as_json.output)
    assert as_json.exit_code == 1 and body["checked"] == 5 and len(body["shortfalls"]) == 3
    assert body["timezone"] == "America/Los_Angeles" and not body["clean"]
    as_csv = runner.invoke(cli, ["compliance", "report", "--region", "seattle", "--month", "2026-11", "--csv"], env=env)
    lines = as_csv.output.strip().splitlines()
    assert as_csv.exit_code == 1 and lines[0].startswith("task_id,category") and len(lines) == 4
    for bad in (["--month", "2026-13"], ["--month", "9999-12"], ["--month", "\ud800"], ["--region", "atlantis"]):
        args = ["compliance", "report", "--region", "seattle", "--month", "2026-11"]
        args[args.index(bad[0]) + 1] = bad[1]
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output


def test_required_pay_rounds_up_to_the_cent():
    assert required_pay(7, None, 2213, None) == [("per hour", 259)]  # 258.18 cents owed: 259
    assert required_pay(10, 45, None, 520) == [("per minute", 450), ("per task", 520)]


def test_legal_minimums_are_a_history_and_floors_respect_the_ones_to_come(platform):
    with platform.uow() as uow:
        s = uow.session
        assert minimum_at(s, "nyc", datetime(2025, 6, 1, tzinfo=UTC)).per_hour == 2144
        assert minimum_at(s, "nyc", datetime(2026, 6, 1, tzinfo=UTC)).per_hour == 2213
        assert minimum_at(s, "nyc", datetime(2025, 3, 1, tzinfo=UTC)) is None
        later = datetime.now(UTC) + timedelta(days=30)
        _, under = set_minimum(uow, MinimumChange("nyc", later, per_hour=3000, source="test: a scheduled rise"), "t")
        assert "yard-work (v1)" in under and [m.per_hour for m in binding_from(s, "nyc", datetime.now(UTC))] == [
            2213,
            3000,
        ]
        with pytest.raises(FloorRuleError) as refused:
            set_floor(uow, FloorChange("yard-work", "nyc", "a raise", {"hourly_floor": 2500}), None, "t")
        assert "hourly_floor" in refused.value.errors
        set_floor(uow, FloorChange("yard-work", "nyc", "to the coming minimum", {"hourly_floor": 3000}), None, "t")
