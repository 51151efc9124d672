"""The taskers' network through the use cases (SQLite, null gateway, workers driven by hand):
hand-offs (eligibility, one winner, lapsing, the client's free cancel, reliability and karma), the
audit's check of open offers and the worker's sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col

from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.network.handoffs import (
    accept_handoff,
    candidates,
    decline_handoff,
    lapse_offers,
    offer_handoff,
    withdraw_handoff,
)
from marketplace.network.holding import cancel_by_client, may_see, start_task
from marketplace.network.models import HandoffOffer, OfferStatus
from marketplace.payments.ledger import balances
from marketplace.tasks.feed import is_open_to
from marketplace.tasks.lifecycle import complete_task
from marketplace.tasks.models import Task
from marketplace.tasks.parties import may_read_private
from marketplace.tasks.quotes import quotes_of
from marketplace.tasks.steps import steps_of
from tests.service.network_people import (
    connect,
    events_of,
    held_by_ann,
    offer,
    offer_status,
    tasker,
)
from tests.service.test_task_use_cases import run, who
from tests.support import ANY_TIME, NO_WINDOW, Pipeline
from workers.replay import replay


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
        worker.until(lambda: offer_status(platform, made.id) == OfferStatus.lapsed, "the sweep to lapse the offer", 30)
    finally:
        worker.close()
    assert len(events_of(platform, "task.handoff_lapsed")) == 1
    with platform.uow() as uow:
        assert uow.session.get_one(Task, task_id).tasker_id == people["ann"]
