"""What people are shown is true (use cases on SQLite, the workers driven by hand): a floor rise
does not strand a booked task, a ruling's price is the final price everywhere, a claim cannot
exceed the time that passed, a task's history keeps every step, and the audit tells normal
compaction from a loss."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import col, select

from cli import cli
from events.retention import RetentionPolicy, compact
from events.tables import EventLogRow
from marketplace.clock import utcnow
from marketplace.errors import Forbidden, Invalid
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.payments.ledger import task_totals
from marketplace.payments.models import Payment
from marketplace.taskers.models import TaskerRegionRate, TaskerSkill
from marketplace.taskers.rates import raise_rates_to_floors
from marketplace.tasks.adjustments import dispute_adjustment, resolve_dispute
from marketplace.tasks.feed import feed
from marketplace.tasks.lifecycle import accept_task, cancel_by_tasker, complete_task, start_task
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.quotes import quotes_of
from marketplace.tasks.reach import reach_view, stranded_tasks
from marketplace.tasks.steps import steps_of
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW, Pipeline


def raise_floor(platform, hourly: int, region: str = "springfield") -> None:
    with platform.uow() as uow:
        set_floor(uow, FloorChange("yard-work", region, "Yearly review", {"hourly_floor": hourly}), None, "ops")
        raise_rates_to_floors(uow, utcnow() + timedelta(seconds=1), "yard-work")
        uow.commit()


def feed_ids(platform, tasker_id: int) -> list[int]:
    with platform.uow() as uow:
        tasks, _ = feed(uow.session, tasker_id, NO_WINDOW, utcnow(), 1, 50)
        return [t.id for t in tasks]


def test_a_floor_rise_leaves_a_booked_task_open_to_taskers_whose_own_rate_allowed_it(market):
    platform, _, people = market
    task_id = priced_and_booked(market)  # priced at the 24.00/h floor, as ann and bob's own rates
    raise_floor(platform, 2600)
    with platform.uow() as uow:
        lifted = uow.session.get_one(TaskerRegionRate, (people["ann"], "yard-work", "springfield"))
        assert (lifted.rate, lifted.raised_from) == (2600, 2400)  # the platform lifted it, in springfield
        task = uow.session.get_one(Task, task_id)
        reach = reach_view(uow.session, task, utcnow())
        assert reach is not None and reach["taskers"] == 2 and not reach["stranded"]
        assert stranded_tasks(uow.session, utcnow()) == []
    assert task_id in feed_ids(platform, people["ann"])
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    with platform.uow() as uow:
        assert quotes_of(uow.session, task_id)["posted"].rate == 2400  # the price the client agreed to


def test_a_task_no_tasker_could_see_is_flagged_with_what_would_change_it(market):
    platform, _, people = market
    task_id = priced_and_booked(market)
    with platform.uow() as uow:  # both taskers choose 28.00/h themselves: nobody works at 24.00 any more
        for name in ("ann", "bob"):
            skill = uow.session.get_one(TaskerSkill, (people[name], "yard-work"))
            skill.rate = 2800
            uow.session.add(skill)
        uow.commit()
    assert task_id not in feed_ids(platform, people["ann"])
    with pytest.raises(Forbidden):
        run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    with platform.uow() as uow:
        reach = reach_view(uow.session, uow.session.get_one(Task, task_id), utcnow())
        assert reach is not None and reach["stranded"] and reach["taskers"] == 0
        assert reach["asking_more"] == 2 and reach["lowest_asked"] == 2800
        assert "28.00 USD/h" in reach["advice"][0]
        assert [t.id for t, _ in stranded_tasks(uow.session, utcnow())] == [task_id]
    result = CliRunner().invoke(
        cli, ["audit"], env={"DATABASE_URL": platform.settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": ""}
    )
    assert result.exit_code == 1 and f"task {task_id} (yard-work in springfield) is stranded" in result.output


def test_a_start_in_the_past_strands_a_task(market):
    platform, _, _ = market
    task_id = priced_and_booked(market, starts=utcnow() + timedelta(minutes=3))
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        reach = reach_view(uow.session, task, utcnow() + timedelta(minutes=5))
        assert reach is not None and reach["stranded"] and reach["start_passed"]
        assert "later start" in reach["advice"][0]


def _claimed_and_disputed(market) -> int:
    platform, pipeline, people = market
    task_id = priced_and_booked(market, minutes=120)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, start_task, ann, task_id, ANY_TIME)
    run(platform, complete_task, ann, task_id, 180, "The hedge ran round the back", ANY_TIME, ANY_TIME)
    run(platform, dispute_adjustment, who(platform, people["client"]), task_id, "We agreed on two hours")
    pipeline.drain()
    return task_id


def test_a_ruling_for_the_tasker_makes_the_claimed_price_the_final_price(market):
    platform, pipeline, _ = market
    task_id = _claimed_and_disputed(market)
    with platform.uow() as uow:
        operator = who(platform, _operator(platform))
        assert quotes_of(uow.session, task_id)["final"].total == quotes_of(uow.session, task_id)["posted"].total
    run(platform, resolve_dispute, operator, task_id, True, "Photos show the back hedge")
    pipeline.drain()
    with platform.uow() as uow:
        quotes = quotes_of(uow.session, task_id)
        payment = uow.session.get_one(Payment, task_id)
        assert quotes["final"].total == quotes["claimed"].total > quotes["posted"].total
        assert payment.amount_captured == quotes["final"].total  # what every page shows is what was charged
        assert task_totals(uow.session)[task_id] == 0


def test_a_ruling_for_the_client_leaves_the_booked_price_final(market):
    platform, pipeline, _ = market
    task_id = _claimed_and_disputed(market)
    run(platform, resolve_dispute, who(platform, _operator(platform)), task_id, False, "Two hours were agreed")
    pipeline.drain()
    with platform.uow() as uow:
        quotes = quotes_of(uow.session, task_id)
        assert quotes["final"].total == quotes["posted"].total == uow.session.get_one(Payment, task_id).amount_captured


def _operator(platform) -> int:
    from marketplace.accounts.users import create_user

    with platform.uow() as uow:
        op = create_user(uow.session, f"ops{utcnow().timestamp()}@example.test", "correct horse battery", "operator")
        uow.commit()
        return op.id


def test_minutes_worked_cannot_exceed_the_time_since_the_start(market):
    platform, _, people = market
    task_id = priced_and_booked(market)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, start_task, ann, task_id, ANY_TIME)
    with pytest.raises(Invalid) as refused:
        run(platform, complete_task, ann, task_id, 150)  # seconds after the start
    message = refused.value.errors["minutes_worked"][0]
    assert "started less than a minute ago" in message and "at most 10 minutes" in message
    run(platform, complete_task, ann, task_id, 8)  # within the tolerance
    with platform.uow() as uow:
        assert uow.session.get_one(Task, task_id).status == TaskStatus.completed


def test_a_claim_without_a_reason_is_refused_and_stores_nothing(market):
    """A claim beyond the booking needs the tasker's words (the client reads them before answering):
    without them the completion is refused on its reason, and no claim with invented words is kept."""
    platform, _, people = market
    task_id = priced_and_booked(market, minutes=60)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, start_task, ann, task_id, ANY_TIME)
    with pytest.raises(Invalid) as refused:
        run(platform, complete_task, ann, task_id, 240, "", ANY_TIME, ANY_TIME)
    assert set(refused.value.errors) == {"reason"}
    with platform.uow() as uow:
        from marketplace.tasks.models import Adjustment

        assert uow.session.get(Adjustment, task_id) is None


def test_the_history_keeps_an_accept_and_a_tasker_cancel_with_their_real_times(market):
    platform, pipeline, people = market
    task_id = priced_and_booked(market)
    with platform.uow() as uow:
        priced_at = uow.session.get_one(Task, task_id).priced_at
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    run(platform, cancel_by_tasker, who(platform, people["ann"]), task_id, "My van broke down")
    run(platform, accept_task, who(platform, people["bob"]), task_id, NO_WINDOW)
    with platform.uow() as uow:
        steps = steps_of(uow.session, task_id)
    kinds = [(s.kind, s.by, s.actor_id) for s in steps]
    assert kinds == [  # (the posting itself is the task row's posted_at)
        ("priced", "", None),
        ("accepted", "tasker", people["ann"]),
        ("cancelled", "tasker", people["ann"]),
        ("reopened", "", None),
        ("accepted", "tasker", people["bob"]),
    ]
    assert steps[0].at == priced_at and steps[2].note == "My van broke down"


def test_the_audit_does_not_cry_wolf_over_compacted_floor_changes(platform):
    for hourly in (2500, 2600, 2700):
        raise_floor(platform, hourly)
    pipeline = Pipeline(platform, ["tasker-rates"])  # marks every floors.changed processed
    pipeline.drain()
    pipeline.close()
    assert compact(platform.engine, RetentionPolicy()) >= 3
    env = {"DATABASE_URL": platform.settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": ""}
    result = CliRunner().invoke(cli, ["audit"], env=env)
    assert result.exit_code == 0, result.output
    assert "pricing.floors holds every floor's newest version" in result.output

    with platform.uow() as uow:  # now lose the newest floors row: the compacted topic's own check fails
        newest = uow.session.exec(
            select(EventLogRow)
            .where(col(EventLogRow.topic) == "pricing.floors", col(EventLogRow.key) == "yard-work/springfield")
            .order_by(col(EventLogRow.seq).desc())
        ).first()
        assert newest is not None
        older = set_floor(
            uow, FloorChange("yard-work", "springfield", "again", {"hourly_floor": 2750}), None, "ops"
        )  # a version the log will not carry
        uow.session.flush()
        for row in uow.session.exec(
            select(EventLogRow).where(col(EventLogRow.topic) == "pricing.floors", col(EventLogRow.seq) > newest.seq)
        ):
            uow.session.delete(row)
        uow.commit()
    result = CliRunner().invoke(cli, ["audit"], env=env)
    assert result.exit_code == 1
    assert f"yard-work/springfield: newest row carries version {older.version - 1}, not {older.version}" in (
        result.output
    )


def test_a_booking_in_flight_is_waited_for_and_a_lost_one_is_asked_again_with_the_same_keys(market):
    from marketplace.errors import Conflict
    from marketplace.payments.holds import book_task, request_hold

    platform, pipeline, people = market
    client = who(platform, people["client"])
    with platform.uow() as uow:
        from marketplace.tasks.posting import post_task
        from tests.service.test_task_use_cases import draft

        task_id = post_task(uow, client.id, draft()).id
        uow.commit()
    pipeline.drain()
    with platform.uow() as uow:  # step 1 of a booking whose process then died before Stripe answered
        request_hold(uow, client, task_id, "pm_null")
        uow.commit()
    with pytest.raises(Conflict, match="being booked right now"):
        book_task(platform.uow, platform.gateway, client, task_id, "pm_null")  # a second tab, meanwhile
    with platform.uow() as uow:
        payment = uow.session.get_one(Payment, task_id)
        payment.updated_at = utcnow() - timedelta(minutes=2)  # long past any answer: it was lost
        uow.session.add(payment)
        uow.commit()
    payment, _ = book_task(platform.uow, platform.gateway, client, task_id, "pm_null")
    assert payment.status == "authorized" and payment.attempt == 1  # the lost attempt's keys, once more
