"""The taskers' network through the use cases (SQLite, null gateway, workers driven by hand):
endorsements and the mentored unlock (rings and the monthly cap), and the path to better-paid work."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.network import endorsements as endo
from marketplace.network.path import path_view
from marketplace.taskers.levels import standing
from marketplace.taskers.models import MentoredUnlock, MentorSlot
from marketplace.taskers.skills import SkillSpec, set_skills
from tests.service.network_people import (
    connect,
    mentors,
    project,
    tasker,
    worked,
)
from tests.service.test_task_use_cases import run, who
from workers.replay import replay


def test_endorsing_needs_a_connection_and_three_tasks_in_the_category_and_happens_once(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    with pytest.raises(Invalid):  # yourself
        run(platform, endo.endorse, who(platform, ann), ann, "yard-work", "me")
    with pytest.raises(Forbidden):  # a non-connection
        run(platform, endo.endorse, who(platform, ann), bob, "yard-work", "good")
    connect(platform, ann, bob)
    worked(platform, ann, "yard-work", 2)
    with pytest.raises(Forbidden, match="3 tasks"):  # not enough work in the category
        run(platform, endo.endorse, who(platform, ann), bob, "yard-work", "good")
    with pytest.raises(Forbidden):  # a category the endorser has not worked in
        run(platform, endo.endorse, who(platform, ann), bob, "mounting", "good")
    worked(platform, ann, "yard-work", 3)
    with pytest.raises(Invalid):
        run(platform, endo.endorse, who(platform, ann), bob, "yard-work", "x" * 501)
    given = run(platform, endo.endorse, who(platform, ann), bob, "yard-work", "<b>Careful</b> with roots")
    with pytest.raises(Conflict):
        run(platform, endo.endorse, who(platform, ann), bob, "yard-work", "again")
    with platform.uow() as uow:
        [shown] = endo.endorsements_for(uow.session, bob)
        assert shown["text"] == "<b>Careful</b> with roots"  # plain text, escaped by whoever shows it
        assert not shown["counts_for_mentoring"]
    with pytest.raises(NotFound):  # only the endorser withdraws
        run(platform, endo.withdraw, who(platform, bob), given.id)
    run(platform, endo.withdraw, who(platform, ann), given.id)
    run(platform, endo.endorse, who(platform, ann), bob, "yard-work", "given again")


def test_two_elite_mentors_open_a_skilled_category_and_a_withdrawal_closes_it(market):
    platform, _, people = market
    ann = people["ann"]
    set_skills_run = lambda: run(  # noqa: E731
        platform, set_skills, ann, ["springfield"], [SkillSpec("yard-work", 2400), SkillSpec("mounting", 3800)]
    )
    set_skills_run()
    first, second = mentors(platform, 2)
    for mentor in (first, second):
        connect(platform, mentor, ann)
    one = run(platform, endo.endorse, who(platform, first), ann, "mounting", "Steady hands")
    project(platform)
    with platform.uow() as uow:
        assert "mounting" not in standing(uow.session, ann).mentored
    run(platform, endo.endorse, who(platform, second), ann, "mounting", "Knows a stud finder")
    project(platform)
    with platform.uow() as uow:
        assert standing(uow.session, ann).mentored == {"mounting"}
        assert all(e["counts_for_mentoring"] for e in endo.endorsements_for(uow.session, ann))
        steps = {s["category"]: s for s in path_view(uow.session, ann, utcnow())["categories"]}
        assert "mounting" not in steps  # open now: nothing to move up to there
    run(platform, endo.withdraw, who(platform, first), one.id)
    project(platform)
    with platform.uow() as uow:
        assert standing(uow.session, ann).mentored == set()
        step = {s["category"]: s for s in path_view(uow.session, ann, utcnow())["categories"]}["mounting"]
        mentored = next(r for r in step["routes"] if r["route"] == "mentored")
        assert mentored["progress"].startswith("1 of 2") and not mentored["met"]
        assert step["highest_floor"] == 3800 and step["earns_now"] == 2400 and step["difference"] == 1400


def test_a_ring_of_newcomers_unlocks_nothing(market):
    platform, _, _ = market
    ring = [tasker(platform, f"ring{i}", {"mounting": 3800, "yard-work": 2400}) for i in range(4)]
    for i, a in enumerate(ring):
        worked(platform, a, "mounting", 3, "trusted")  # enough to endorse, not to mentor
        for b in ring[i + 1 :]:
            connect(platform, a, b)
    for a in ring:
        for b in ring:
            if a != b:
                run(platform, endo.endorse, who(platform, a), b, "mounting", "one of us")
    project(platform)
    with platform.uow() as uow:
        assert uow.session.exec(select(MentoredUnlock)).all() == []
        assert not any("mounting" in standing(uow.session, t).mentored for t in ring)


def test_a_mentor_counts_for_three_endorsements_a_month_and_no_more(market):
    platform, _, _ = market
    [mentor] = mentors(platform, 1)
    [helper] = mentors(platform, 1, "helper")
    learners = [tasker(platform, f"learner{i}", {"mounting": 3800}) for i in range(4)]
    for learner in learners:
        connect(platform, mentor, learner)
        connect(platform, helper, learner)
        run(platform, endo.endorse, who(platform, mentor), learner, "mounting", "ready")
    run(platform, endo.endorse, who(platform, helper), learners[3], "mounting", "ready")
    project(platform)
    with platform.uow() as uow:
        counting = [e["counts_for_mentoring"] for e in endo.endorsements_given(uow.session, mentor)]
        assert sorted(counting) == [False, True, True, True]
        # the fourth learner holds two endorsements, but the mentor's fourth this month does not count
        assert "mounting" not in standing(uow.session, learners[3]).mentored


def test_an_operator_revokes_with_a_reason_and_replay_rebuilds_the_unlocks_equal_to_live(market):
    platform, _, people = market
    ann = people["ann"]
    with platform.uow() as uow:
        operator = create_user(uow.session, "op@example.test", "correct horse battery", "operator")
        uow.commit()
    first, second, third = mentors(platform, 3)
    given = []
    for mentor in (first, second, third):
        connect(platform, mentor, ann)
        given.append(run(platform, endo.endorse, who(platform, mentor), ann, "mounting", "ready"))
    with pytest.raises(Invalid):
        run(platform, endo.revoke, who(platform, operator.id), given[0].id, " ")
    run(platform, endo.revoke, who(platform, operator.id), given[0].id, "ring of accounts")
    with pytest.raises(Conflict):
        run(platform, endo.revoke, who(platform, operator.id), given[0].id, "again")
    run(platform, endo.withdraw, who(platform, second), given[1].id)
    project(platform)
    with platform.uow() as uow:
        assert standing(uow.session, ann).mentored == set()  # one counting endorsement left
        rows, total = endo.all_endorsements(uow.session)
        revoked = next(r for r in rows if r["id"] == given[0].id)
        assert revoked["revoke_reason"] == "ring of accounts" and total == 3
    run(platform, endo.endorse, who(platform, second), ann, "mounting", "ready after all")
    project(platform)

    def both():
        with platform.uow() as uow:
            slots = sorted((s.event_id, s.counts, s.active) for s in uow.session.exec(select(MentorSlot)))
            unlocks = sorted((u.tasker_id, u.category) for u in uow.session.exec(select(MentoredUnlock)))
        return slots, unlocks

    live = both()
    assert live[1] == [(ann, "mounting")]
    result = replay(platform, "network")
    assert result.applied >= 6 and both() == live
