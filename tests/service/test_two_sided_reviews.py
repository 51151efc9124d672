"""Two-sided, double-blind reviews: each side reviews once; neither is readable (the public profile,
the task's reviews, the reputation, the events) until both are in or the window has passed; then
both appear together and nothing more can be written; the tasker's reputation counts only revealed
reviews; and `floorboard replay reviews` rebuilds the reveal state equal to live."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from events.contracts import decode
from events.tables import EventLogRow
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.errors import Conflict, NotFound
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.models import ReviewPending, ReviewReveal, Task
from marketplace.tasks.reviews import lapse_reviews, review_task, reviews_of, task_reviews
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW, Pipeline


@pytest.fixture
def done(market):
    """A task Ann completed for the client, and the reviews and reputation workers."""
    platform, _, people = market
    task_id = priced_and_booked(market)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, start_task, ann, task_id, ANY_TIME)
    run(platform, lambda uow, *a: complete_task(uow, *a, tolerance=ANY_TIME), ann, task_id, 60)
    workers = Pipeline(platform, ["reviews", "reputation"])
    yield task_id, workers
    workers.close()


def _log(platform, kind: str) -> list[dict]:
    with platform.uow() as uow:
        rows = uow.session.exec(select(EventLogRow).where(col(EventLogRow.topic) == "reviews.submitted")).all()
        return [e.data for e in (decode(r.value) for r in rows) if e.type == kind]


def _rating_count(platform, tasker_id: int) -> int:
    with platform.uow() as uow:
        rep = uow.session.get(Reputation, (tasker_id, "yard-work"))
        return rep.rating_count if rep else 0


def test_both_reviews_appear_together_once_the_second_is_in(market, done):
    platform, _, people = market
    task_id, workers = done
    client, ann, bob = (who(platform, people[n]) for n in ("client", "ann", "bob"))
    run(platform, review_task, client, task_id, 5, "Spotless")
    with pytest.raises(NotFound):  # not bob's task
        run(platform, review_task, bob, task_id, 3, "")
    with pytest.raises(Conflict):
        run(platform, review_task, client, task_id, 1, "changed my mind")
    workers.drain()
    with platform.uow() as uow:
        s = uow.session
        task = s.get_one(Task, task_id)
        seen_by_ann = task_reviews(s, task, ann)
        assert seen_by_ann["theirs"] is None and seen_by_ann["theirs_written"] and not seen_by_ann["revealed"]
        assert reviews_of(s, people["ann"]) == []  # not on her profile
    assert _rating_count(platform, people["ann"]) == 0
    submitted = _log(platform, "review.submitted")
    assert submitted and all(
        d["rating"] is None and "comment" not in d for d in submitted
    )  # no stars, no words in the log
    run(platform, review_task, ann, task_id, 4, "Clear instructions")
    workers.drain()
    with platform.uow() as uow:
        s = uow.session
        task = s.get_one(Task, task_id)
        by_client, by_ann = task_reviews(s, task, client), task_reviews(s, task, ann)
        assert by_client["revealed"] and by_client["theirs"]["rating"] == 4 and by_ann["theirs"]["rating"] == 5
        assert [r["rating"] for r in reviews_of(s, people["ann"])] == [5]
    assert _rating_count(platform, people["ann"]) == 1
    [revealed] = _log(platform, "review.revealed")
    assert (revealed["reason"], revealed["tasker_rating"], revealed["client_rating"]) == ("both", 5, 4)
    with pytest.raises(Conflict):  # revealed: closed
        run(platform, review_task, ann, task_id, 1, "")


def test_the_window_lapses_with_one_review_in(market, done):
    platform, _, people = market
    task_id, workers = done
    client = who(platform, people["client"])
    run(platform, review_task, client, task_id, 2, "Late")
    workers.drain()
    assert run(platform, lapse_reviews, utcnow()) == 0  # the window is open
    assert run(platform, lapse_reviews, utcnow() + timedelta(days=14, minutes=1)) == 1
    workers.drain()
    [revealed] = _log(platform, "review.revealed")
    assert (revealed["reason"], revealed["tasker_rating"], revealed["client_rating"]) == ("lapsed", 2, None)
    assert _rating_count(platform, people["ann"]) == 1
    ann = who(platform, people["ann"])
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert task_reviews(uow.session, task, ann)["theirs"]["rating"] == 2
    with pytest.raises(Conflict):
        run(platform, review_task, who(platform, people["ann"]), task_id, 5, "too late")
    assert run(platform, lapse_reviews, utcnow() + timedelta(days=15)) == 0  # once


def test_no_review_is_written_after_the_window(market, done):
    platform, _, people = market
    task_id, _ = done
    with pytest.raises(Conflict):
        run(platform, review_task, who(platform, people["client"]), task_id, 5, "", timedelta(0))


def test_replay_rebuilds_the_reveal_state(market, done):
    platform, _, people = market
    task_id, workers = done
    from workers.replay import replay

    run(platform, review_task, who(platform, people["client"]), task_id, 5, "")
    run(platform, review_task, who(platform, people["ann"]), task_id, 3, "")
    other = priced_and_booked(market)
    bob = who(platform, people["bob"])
    run(platform, accept_task, bob, other, NO_WINDOW)
    run(platform, start_task, bob, other, ANY_TIME)
    run(platform, lambda uow, *a: complete_task(uow, *a, tolerance=ANY_TIME), bob, other, 60)
    run(platform, review_task, bob, other, 4, "")
    workers.drain()
    run(platform, lapse_reviews, utcnow() + timedelta(days=15))
    workers.drain()

    def state():
        with platform.uow() as uow:
            s = uow.session
            return [sorted(repr(r.model_dump()) for r in s.exec(select(m))) for m in (ReviewPending, ReviewReveal)]

    live = state()
    assert len(live[1]) == 2
    result = replay(platform, "reviews", chunk=1)
    assert result.skipped == 0 and state() == live
    reputation = [(r.tasker_id, r.rating_count, r.rating_sum) for r in _reps(platform)]
    replay(platform, "reputation")
    assert [(r.tasker_id, r.rating_count, r.rating_sum) for r in _reps(platform)] == reputation


def _reps(platform):
    with platform.uow() as uow:
        return list(uow.session.exec(select(Reputation).order_by(col(Reputation.tasker_id))))
