"""The taskers' network through the use cases (SQLite, null gateway, workers driven by hand):
connections and blocks, hand-offs (eligibility, one winner, lapsing, the client's free cancel,
reliability and karma), endorsements and the mentored unlock (rings and the monthly cap), and the
path to better-paid work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from events.tables import EventLogRow
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.network import connections as conn
from marketplace.network import endorsements as endo
from marketplace.network.handoffs import (
    accept_handoff,
    candidates,
    decline_handoff,
    lapse_offers,
    offer_handoff,
    withdraw_handoff,
)
from marketplace.network.models import HandoffOffer, MentoredUnlock, OfferStatus
from marketplace.network.path import path_view
from marketplace.payments.ledger import balances
from marketplace.taskers.feed import is_open_to
from marketplace.taskers.levels import standing
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, cancel_by_client, complete_task, start_task
from marketplace.tasks.models import Task
from marketplace.tasks.parties import may_read_private, may_see
from marketplace.tasks.quotes import quotes_of
from marketplace.tasks.steps import steps_of
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW, Pipeline
from workers.replay import replay


def tasker(platform, name: str, skills: dict[str, int] | None = None, regions=("springfield",)) -> int:
    with platform.uow() as uow:
        user = create_user(uow.session, f"{name}@example.test", "correct horse battery", "tasker")
        specs = [SkillSpec(c, r) for c, r in (skills or {"yard-work": 2400}).items()]
        set_skills(uow, user.id, list(regions), specs)
        uow.commit()
        return user.id


def connect(platform, a: int, b: int) -> None:
    run(platform, conn.request_connection, who(platform, a), b)
    run(platform, conn.accept_connection, who(platform, b), a)


def held_by_ann(market, **changes) -> int:
    platform, _, people = market
    task_id = priced_and_booked(market, **changes)
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    return task_id


def offer(platform, holder: int, task_id: int, peers: list[int], **kw) -> list[HandoffOffer]:
    return run(platform, offer_handoff, who(platform, holder), task_id, peers, "", NO_WINDOW, *kw.values())


def events_of(platform, kind: str) -> list[EventLogRow]:
    with platform.uow() as uow:
        rows = uow.session.exec(select(EventLogRow).where(col(EventLogRow.topic) == "tasks.lifecycle")).all()
    import json

    return [r for r in rows if json.loads(r.value)["type"] == kind]


# Connections and blocks


def test_taskers_connect_once_and_see_each_other_with_their_standing(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    run(platform, conn.request_connection, who(platform, ann), bob)
    with pytest.raises(Conflict):  # asking twice
        run(platform, conn.request_connection, who(platform, ann), bob)
    with pytest.raises(Invalid):
        run(platform, conn.request_connection, who(platform, ann), ann)
    with pytest.raises(NotFound):  # a client is not a tasker to connect with
        run(platform, conn.request_connection, who(platform, ann), people["client"])
    with platform.uow() as uow:
        assert [c["id"] for c in conn.connections_view(uow.session, bob)["incoming"]] == [ann]
        assert [c["id"] for c in conn.connections_view(uow.session, ann)["outgoing"]] == [bob]
    with pytest.raises(NotFound):  # only the one asked accepts
        run(platform, conn.accept_connection, who(platform, ann), bob)
    run(platform, conn.accept_connection, who(platform, bob), ann)
    with pytest.raises(Conflict):  # connecting twice
        run(platform, conn.request_connection, who(platform, bob), ann)
    with platform.uow() as uow:
        [card] = conn.connections_view(uow.session, ann)["connections"]
        assert (card["id"], card["categories"], card["regions"], card["tier"]) == (
            bob,
            ["yard-work"],
            ["springfield"],
            "newcomer",
        )
    run(platform, conn.remove_connection, who(platform, bob), ann)
    with platform.uow() as uow:
        assert conn.connections_view(uow.session, ann)["connections"] == []


def test_asking_back_accepts_and_a_declined_request_can_be_asked_again(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    run(platform, conn.request_connection, who(platform, ann), bob)
    run(platform, conn.request_connection, who(platform, bob), ann)  # asking back accepts
    with platform.uow() as uow:
        assert conn.are_connected(uow.session, ann, bob)
    carl = tasker(platform, "carl")
    run(platform, conn.request_connection, who(platform, carl), ann)
    run(platform, conn.decline_connection, who(platform, ann), carl)
    run(platform, conn.request_connection, who(platform, carl), ann)


def test_a_block_ends_the_connection_and_stops_requests_offers_and_endorsements(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    connect(platform, ann, bob)
    task_id = held_by_ann(market)
    [open_offer] = offer(platform, ann, task_id, [bob])
    run(platform, conn.block, who(platform, bob), ann)
    with platform.uow() as uow:
        assert not conn.are_connected(uow.session, ann, bob)
        assert uow.session.get_one(HandoffOffer, open_offer.id).status == OfferStatus.withdrawn
    with pytest.raises(Forbidden):
        run(platform, conn.request_connection, who(platform, ann), bob)
    with pytest.raises(Invalid) as refused:  # an offer to a blocking peer
        offer(platform, ann, task_id, [bob])
    assert "cannot offer" in refused.value.errors["tasker_ids"]["0"][0]
    with pytest.raises(Forbidden):
        run(platform, endo.endorse, who(platform, ann), bob, "yard-work", "good")
    with pytest.raises(Conflict):
        run(platform, conn.block, who(platform, bob), ann)
    run(platform, conn.unblock, who(platform, bob), ann)
    run(platform, conn.request_connection, who(platform, ann), bob)


# Hand-offs


def test_a_peer_takes_a_handed_task_at_the_same_price_and_the_ledger_pays_only_them(market):
    platform, pipeline, people = market
    ann, bob = people["ann"], people["bob"]
    task_id = held_by_ann(market)
    ann_user, bob_user = who(platform, ann), who(platform, bob)
    with platform.uow() as uow:
        before = quotes_of(uow.session, task_id)["posted"]
        task = uow.session.get_one(Task, task_id)
        assert not may_see(uow.session, bob_user, task, NO_WINDOW, utcnow())
    [made] = offer(platform, ann, task_id, [bob])
    assert made.expires_at <= utcnow() + timedelta(hours=6, seconds=5)
    with platform.uow() as uow:  # the peer offered it may look at it, but not at the address yet
        task = uow.session.get_one(Task, task_id)
        assert may_see(uow.session, bob_user, task, NO_WINDOW, utcnow())
        assert not may_read_private(bob_user, task, utcnow())
    run(platform, accept_handoff, who(platform, bob), made.id, NO_WINDOW)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert (task.tasker_id, task.handed_from_id, task.status) == (bob, ann, "accepted")
        assert quotes_of(uow.session, task_id)["posted"] == before  # the price never changes
        assert may_read_private(bob_user, task, utcnow())
        assert not may_read_private(ann_user, task, utcnow())
        [step] = [s for s in steps_of(uow.session, task_id) if s.kind == "handed_off"]
        assert step.actor_id == bob and "Handed by" in step.note
    assert len(events_of(platform, "task.handoff_offered")) == 1
    assert len(events_of(platform, "task.handed_off")) == 1
    with pytest.raises(Forbidden):  # the first tasker holds it no more
        run(platform, start_task, who(platform, ann), task_id, ANY_TIME)
    run(platform, start_task, who(platform, bob), task_id, ANY_TIME)
    run(platform, complete_task, who(platform, bob), task_id, 60, "", timedelta(hours=72), ANY_TIME)
    pipeline.drain()
    with platform.uow() as uow:
        books = balances(uow.session, task_id)
        final = quotes_of(uow.session, task_id)["final"]
        assert sum(books.values()) == 0
        assert books.get("tasker_paid_out", 0) == final.payout  # one payout, to the task's tasker: bob
        assert uow.session.get_one(Task, task_id).tasker_id == bob


def test_only_the_holder_hands_an_accepted_unstarted_task_to_eligible_peers(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    pricey = tasker(platform, "pricey", {"yard-work": 9000})  # own rate above the task's
    elsewhere = tasker(platform, "elsewhere", regions=("riverside",))
    task_id = held_by_ann(market)
    with pytest.raises(Forbidden):  # handing a task you don't hold
        offer(platform, bob, task_id, [pricey])
    with pytest.raises(Invalid) as refused:
        offer(platform, ann, task_id, [bob, pricey, elsewhere, ann])
    assert set(refused.value.errors["tasker_ids"]) == {"1", "2", "3"}
    with pytest.raises(Invalid):
        offer(platform, ann, task_id, [bob, bob])
    with pytest.raises(Invalid):
        offer(platform, ann, task_id, [])
    with pytest.raises(NotFound):
        offer(platform, ann, 999_999, [bob])
    run(platform, start_task, who(platform, ann), task_id, ANY_TIME)
    with pytest.raises(Conflict):  # a started task
        offer(platform, ann, task_id, [bob])


def test_at_most_five_open_offers_and_none_when_the_client_said_no(market):
    platform, _, people = market
    ann = people["ann"]
    peers = [tasker(platform, f"peer{i}") for i in range(6)]
    task_id = held_by_ann(market)
    with pytest.raises(Invalid):
        offer(platform, ann, task_id, peers)
    offer(platform, ann, task_id, peers[:3])
    with pytest.raises(Invalid):  # an open offer to that peer already
        offer(platform, ann, task_id, [peers[0]])
    with pytest.raises(Conflict):  # 3 open + 3 more > 5
        offer(platform, ann, task_id, peers[3:6])
    kept = held_by_ann(market, handoffs_allowed=False)
    with pytest.raises(Conflict):
        offer(platform, ann, kept, [people["bob"]])


def test_the_first_peer_to_accept_wins_and_every_other_offer_is_withdrawn(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    carl = tasker(platform, "carl")
    task_id = held_by_ann(market)
    to_bob, to_carl = offer(platform, ann, task_id, [bob, carl])
    with pytest.raises(NotFound):  # accepting an offer made to someone else
        run(platform, accept_handoff, who(platform, carl), to_bob.id, NO_WINDOW)
    run(platform, accept_handoff, who(platform, carl), to_carl.id, NO_WINDOW)
    with pytest.raises(Conflict):
        run(platform, accept_handoff, who(platform, bob), to_bob.id, NO_WINDOW)
    with platform.uow() as uow:
        assert uow.session.get_one(HandoffOffer, to_bob.id).status == OfferStatus.withdrawn
        assert uow.session.get_one(Task, task_id).tasker_id == carl
    assert [e for e in events_of(platform, "task.handoff_withdrawn")]


def test_declined_withdrawn_and_lapsed_offers_leave_the_task_with_the_first_tasker(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    carl, dora = tasker(platform, "carl"), tasker(platform, "dora")
    task_id = held_by_ann(market, starts=utcnow() + timedelta(hours=3))
    to_bob, to_carl, to_dora = offer(platform, ann, task_id, [bob, carl, dora])
    assert to_bob.expires_at <= utcnow() + timedelta(hours=3)  # never later than the start
    run(platform, decline_handoff, who(platform, bob), to_bob.id, "busy")
    with pytest.raises(NotFound):  # only the one who offered withdraws
        run(platform, withdraw_handoff, who(platform, bob), to_carl.id)
    run(platform, withdraw_handoff, who(platform, ann), to_carl.id)
    assert run(platform, lapse_offers, utcnow()) == 0  # not due yet
    assert run(platform, lapse_offers, utcnow() + timedelta(hours=4)) == 1
    with pytest.raises(Conflict):
        run(platform, accept_handoff, who(platform, dora), to_dora.id, NO_WINDOW)
    with platform.uow() as uow:
        statuses = [uow.session.get_one(HandoffOffer, o.id).status for o in (to_bob, to_carl, to_dora)]
        assert statuses == ["declined", "withdrawn", "lapsed"]
        assert uow.session.get_one(Task, task_id).tasker_id == ann
    for kind in ("declined", "withdrawn", "lapsed"):
        assert len(events_of(platform, f"task.handoff_{kind}")) == 1


def test_an_offer_past_its_time_cannot_be_accepted_even_before_the_sweep(market):
    platform, _, people = market
    task_id = held_by_ann(market)
    [made] = run(
        platform, offer_handoff, who(platform, people["ann"]), task_id, [people["bob"]], "", NO_WINDOW, timedelta(0)
    )
    with pytest.raises(Conflict, match="lapsed"):
        run(platform, accept_handoff, who(platform, people["bob"]), made.id, NO_WINDOW)


def test_the_client_cancels_free_within_the_grace_after_a_hand_off_inside_the_24_hours(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    soon = utcnow() + timedelta(hours=6)
    plain = held_by_ann(market, starts=soon)
    handed = held_by_ann(market, starts=soon)
    stale = held_by_ann(market, starts=soon)
    for task_id in (handed, stale):
        [made] = offer(platform, ann, task_id, [bob])
        run(platform, accept_handoff, who(platform, bob), made.id, NO_WINDOW)
    client = who(platform, people["client"])
    assert run(platform, cancel_by_client, client, plain, "")[1] is not None  # a fee: 24 h rule
    assert run(platform, cancel_by_client, client, handed, "")[1] is None  # free: a tasker they did not choose
    assert run(platform, cancel_by_client, client, stale, "", timedelta(0))[1] is not None  # grace over


def test_a_late_hand_off_costs_half_a_cancellation_an_early_one_nothing_and_completion_earns_karma(market):
    platform, pipeline, people = market
    ann, bob = people["ann"], people["bob"]
    early = held_by_ann(market, starts=utcnow() + timedelta(days=3))
    late = held_by_ann(market, starts=utcnow() + timedelta(hours=6))
    for task_id in (early, late):
        [made] = offer(platform, ann, task_id, [bob])
        run(platform, accept_handoff, who(platform, bob), made.id, NO_WINDOW)
    run(platform, start_task, who(platform, bob), late, ANY_TIME)
    run(platform, complete_task, who(platform, bob), late, 60, "", timedelta(hours=72), ANY_TIME)
    reputation = Pipeline(platform, ["reputation"])
    try:
        reputation.drain()
    finally:
        reputation.close()
    with platform.uow() as uow:
        ann_rep = uow.session.get_one(Reputation, (ann, "yard-work"))
        bob_rep = uow.session.get_one(Reputation, (bob, "yard-work"))
    assert (ann_rep.late_handoffs, ann_rep.tasker_cancelled, ann_rep.handoffs_completed) == (1, 0, 1)
    assert (bob_rep.accepted, bob_rep.completed) == (2, 1)
    with platform.uow() as uow:
        live = uow.session.get_one(Reputation, (ann, "yard-work")).model_dump()
    replay(platform, "reputation")
    with platform.uow() as uow:
        assert uow.session.get_one(Reputation, (ann, "yard-work")).model_dump() == live


def test_candidates_are_eligible_peers_connections_first(market):
    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    carl = tasker(platform, "carl")
    tasker(platform, "pricey", {"yard-work": 9000})
    with platform.uow() as uow:
        uow.session.add(Reputation(tasker_id=bob, category="yard-work", score=10))
        uow.session.add(Reputation(tasker_id=carl, category="yard-work", score=60))
        uow.commit()
    task_id = held_by_ann(market)
    holder = who(platform, ann)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert [c["id"] for c in candidates(uow.session, holder, task, NO_WINDOW, utcnow())] == [carl, bob]
    connect(platform, ann, bob)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        found = candidates(uow.session, holder, task, NO_WINDOW, utcnow())
        assert [(c["id"], c["connected"]) for c in found] == [(bob, True), (carl, False)]
        assert all(is_open_to(uow.session, c["id"], task_id, NO_WINDOW, utcnow(), unclaimed=False) for c in found)


# Endorsements and the mentored unlock


def worked(platform, tasker_id: int, category: str, completed: int, tier: str = "newcomer") -> None:
    """A tasker's record in a category, as the reputation projection would hold it."""
    with platform.uow() as uow:
        row = uow.session.get(Reputation, (tasker_id, category)) or Reputation(tasker_id=tasker_id, category=category)
        row.completed, row.accepted, row.tier = completed, completed, tier
        uow.session.add(row)
        uow.commit()


def project(platform) -> None:
    network = Pipeline(platform, ["network"])
    try:
        network.drain()
    finally:
        network.close()


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


def mentors(platform, n: int, prefix: str = "mentor") -> list[int]:
    ids = []
    for i in range(n):
        mentor = tasker(platform, f"{prefix}{i}", {"mounting": 3800, "yard-work": 2400})
        worked(platform, mentor, "mounting", 12, "elite")
        ids.append(mentor)
    return ids


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
        from marketplace.network.models import MentorSlot

        with platform.uow() as uow:
            slots = sorted((s.event_id, s.counts, s.active) for s in uow.session.exec(select(MentorSlot)))
            unlocks = sorted((u.tasker_id, u.category) for u in uow.session.exec(select(MentoredUnlock)))
        return slots, unlocks

    live = both()
    assert live[1] == [(ann, "mounting")]
    result = replay(platform, "network")
    assert result.applied >= 6 and both() == live


def test_the_audit_flags_an_open_offer_for_a_task_that_moved_on_or_should_have_lapsed(market):
    from sqlmodel import update

    from marketplace.audit import check_handoffs

    platform, _, people = market
    ann, bob = people["ann"], people["bob"]
    carl = tasker(platform, "carl")
    task_id = held_by_ann(market)
    late_id = held_by_ann(market)
    offer(platform, ann, task_id, [bob])
    run(platform, offer_handoff, who(platform, ann), late_id, [carl], "", NO_WINDOW, timedelta(0))
    with platform.uow() as uow:
        assert check_handoffs(uow.session).misses == []  # lapsed just now: the sweep has time
        uow.session.exec(update(Task).where(col(Task.id) == task_id).values(tasker_id=bob))  # what must never happen
        uow.session.exec(
            update(HandoffOffer)
            .where(col(HandoffOffer.task_id) == late_id)
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
        uow.commit()
    with platform.uow() as uow:
        misses = check_handoffs(uow.session).misses
    assert len(misses) == 2
    assert any("held by" in m for m in misses) and any("should have lapsed" in m for m in misses)


def test_the_network_worker_lapses_overdue_offers_when_idle(market):
    platform, _, people = market
    task_id = held_by_ann(market)
    [made] = run(
        platform, offer_handoff, who(platform, people["ann"]), task_id, [people["bob"]], "", NO_WINDOW, timedelta(0)
    )
    worker = Pipeline(platform, ["network"])
    try:
        worker.until(lambda: _status(platform, made.id) == OfferStatus.lapsed, "the sweep to lapse the offer", 30)
    finally:
        worker.close()
    assert len(events_of(platform, "task.handoff_lapsed")) == 1
    with platform.uow() as uow:
        assert uow.session.get_one(Task, task_id).tasker_id == people["ann"]


def _status(platform, offer_id: int) -> str:
    with platform.uow() as uow:
        return uow.session.get_one(HandoffOffer, offer_id).status
