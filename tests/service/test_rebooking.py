"""Rebooking a tasker the client trusts: only a tasker who completed a task for this client; the
addressed tasker alone sees it (ahead of any priority window) until the window lapses; declined or
lapsed it opens to everyone, or, for "only this tasker", it is cancelled free (the hold released);
the client is told; and the list of taskers to rebook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from events.contracts import decode
from events.tables import EventLogRow
from marketplace.clock import utcnow
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.tasks.feed import feed, is_open_to
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.posting import post_task
from marketplace.tasks.rebooking import addressee_rate_note, decline_rebooking, lapse_rebookings, my_taskers
from marketplace.tasks.steps import steps_of
from tests.service.test_task_use_cases import draft, priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW, book

SLOW = (("elite", 0), ("trusted", 3600), ("newcomer", 7200))  # newcomers wait two hours


def _worked(market) -> None:
    """Ann completes a task for the client."""
    platform, _, people = market
    task_id = priced_and_booked(market)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, start_task, ann, task_id, ANY_TIME)
    run(platform, lambda uow, *a: complete_task(uow, *a, tolerance=ANY_TIME), ann, task_id, 60)


def _rebooked(market, **changes) -> int:
    platform, pipeline, people = market
    task_id = run(platform, post_task, people["client"], draft(addressed_to=people["ann"], **changes)).id
    pipeline.drain()
    book(platform, task_id)
    return task_id


def _events(platform, kind: str) -> list[dict]:
    with platform.uow() as uow:
        rows = uow.session.exec(select(EventLogRow).where(col(EventLogRow.topic) == "tasks.lifecycle")).all()
        return [e.data for e in (decode(r.value) for r in rows) if e.type == kind]


def test_only_a_tasker_who_worked_for_the_client_can_be_rebooked(market):
    platform, _, people = market
    with pytest.raises(Invalid) as refused:
        run(platform, post_task, people["client"], draft(addressed_to=people["ann"]))
    assert "completed a task for you" in refused.value.errors["addressed_to"][0]
    _worked(market)
    for bad in (people["eve"], 999_999):  # a client, and no one
        with pytest.raises(Invalid):
            run(platform, post_task, people["client"], draft(addressed_to=bad))
    with pytest.raises(Invalid):
        run(platform, post_task, people["client"], draft(only_addressed=True))  # only whom?
    with pytest.raises(Invalid):  # eve never worked with ann
        run(platform, post_task, people["eve"], draft(addressed_to=people["ann"]))
    with platform.uow() as uow:
        [mine] = my_taskers(uow.session, people["client"])
    assert (mine["tasker_id"], mine["tasks_completed"], mine["categories"]) == (people["ann"], 1, ["yard-work"])
    assert mine["rates"] == {"yard-work": 2400}


def test_the_addressed_tasker_alone_sees_it_and_accepts_it(market):
    platform, _, people = market
    _worked(market)
    task_id = _rebooked(market)
    now = utcnow()
    with platform.uow() as uow:
        s = uow.session
        task = s.get_one(Task, task_id)
        assert task.addressed_until is not None and timedelta(hours=23) < task.addressed_until - now <= timedelta(
            hours=24
        )
        assert is_open_to(s, people["ann"], task_id, NO_WINDOW, now)
        assert is_open_to(s, people["ann"], task_id, SLOW, now)  # a newcomer, yet at once: ahead of the windows
        assert not is_open_to(s, people["bob"], task_id, NO_WINDOW, now)
        assert task_id not in [t.id for t in feed(s, people["bob"], NO_WINDOW, now, 1, 50)[0]]
    with pytest.raises(Forbidden):  # not open to bob
        run(platform, accept_task, who(platform, people["bob"]), task_id, NO_WINDOW)
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    with pytest.raises(Conflict):  # accepted: nothing to decline
        run(platform, decline_rebooking, who(platform, people["ann"]), task_id, utcnow())
    assert run(platform, lapse_rebookings, utcnow() + timedelta(days=2)) == 1  # the address is cleared
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert (task.status, task.tasker_id, task.addressed_to_id) == (TaskStatus.accepted, people["ann"], None)


def test_declined_it_opens_to_everyone(market):
    platform, _, people = market
    _worked(market)
    task_id = _rebooked(market)
    with pytest.raises(NotFound):  # not addressed to bob
        run(platform, decline_rebooking, who(platform, people["bob"]), task_id, utcnow())
    run(platform, decline_rebooking, who(platform, people["ann"]), task_id, utcnow())
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert (task.status, task.addressed_to_id) == (TaskStatus.priced, None)
        assert is_open_to(uow.session, people["bob"], task_id, NO_WINDOW, utcnow())
        assert not is_open_to(uow.session, people["bob"], task_id, SLOW, utcnow())  # behind the windows from now
        assert is_open_to(uow.session, people["bob"], task_id, SLOW, utcnow() + timedelta(hours=2, minutes=1))
    [closed] = _events(platform, "task.rebooking_closed")
    assert (closed["reason"], closed["reopened"], closed["addressed_to_id"]) == ("declined", True, people["ann"])
    run(platform, accept_task, who(platform, people["bob"]), task_id, NO_WINDOW)


def test_only_this_tasker_lapsed_is_cancelled_free_and_the_hold_released(market):
    platform, pipeline, people = market
    _worked(market)
    task_id = _rebooked(market, only_addressed=True)
    assert run(platform, lapse_rebookings, utcnow()) == 0  # not yet
    assert run(platform, lapse_rebookings, utcnow() + timedelta(hours=25)) == 1
    pipeline.drain()
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert (task.status, task.cancelled_by, task.addressed_to_id) == (TaskStatus.cancelled, "platform", None)
        assert task.payment_status == "released"
    [closed] = _events(platform, "task.rebooking_closed")
    assert (closed["reason"], closed["reopened"]) == ("lapsed", False)
    cancelled = [c for c in _events(platform, "task.cancelled") if c["task_id"] == task_id]
    assert cancelled and cancelled[0]["fee"] is None and "reason" not in cancelled[0]  # the words are in the steps
    with platform.uow() as uow:
        assert "free of charge" in steps_of(uow.session, task_id)[-1].note


def test_the_preview_says_when_the_taskers_own_rate_is_above_the_task(market):
    platform, _, people = market
    from marketplace.taskers.skills import SkillSpec, set_skills

    with platform.uow() as uow:
        set_skills(uow, people["ann"], ["springfield"], [SkillSpec("yard-work", 3000)])
        uow.commit()
    with platform.uow() as uow:
        note = addressee_rate_note(uow.session, people["ann"], "yard-work", "springfield", 2400)
        assert note is not None and "30.00 USD/h" in note and "offer" in note
        assert addressee_rate_note(uow.session, people["ann"], "yard-work", "springfield", 3000) is None
        unoffered = addressee_rate_note(uow.session, people["ann"], "mounting", "springfield", 3800)
        assert "does not offer" in (unoffered or "")
