"""A client's public record: completed tasks and the taskers who did them, cancellations inside the
24 h (only once a tasker held the task), disputed claims and how they were ruled, and for a tasker
the count of their connections who worked for this client; no names, nothing private."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.network.client_record import client_record
from marketplace.network.connections import accept_connection, request_connection
from marketplace.tasks.adjustments import dispute_adjustment, resolve_dispute
from marketplace.tasks.lifecycle import accept_task, cancel_by_client, complete_task, start_task
from marketplace.tasks.reviews import review_task
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW, Pipeline


def _complete(platform, tasker, task_id, minutes=60, reason=""):
    run(platform, accept_task, tasker, task_id, NO_WINDOW)
    run(platform, start_task, tasker, task_id, ANY_TIME)
    run(platform, lambda uow, *a: complete_task(uow, *a, reason, tolerance=ANY_TIME), tasker, task_id, minutes)


def test_the_record_counts_what_taskers_need_to_know(market):
    platform, pipeline, people = market
    ann, bob = who(platform, people["ann"]), who(platform, people["bob"])
    client = who(platform, people["client"])
    _complete(platform, ann, priced_and_booked(market))
    bobs = priced_and_booked(market)
    _complete(platform, bob, bobs)
    # A claim beyond the booking, disputed, ruled for the tasker.
    claimed = priced_and_booked(market, minutes=60)
    _complete(platform, ann, claimed, minutes=120, reason="The hedge was twice as long")
    run(platform, dispute_adjustment, client, claimed, "Too long")
    with platform.uow() as uow:
        ops = create_user(uow.session, "ops@example.test", "correct horse battery", "operator")
        uow.commit()
    run(platform, resolve_dispute, ops, claimed, True, "The photos show it")
    # Cancelled inside the 24 h with a tasker holding it; cancelled early; cancelled with no tasker.
    soon = priced_and_booked(market, starts=utcnow() + timedelta(hours=10))
    run(platform, accept_task, ann, soon, NO_WINDOW)
    run(platform, cancel_by_client, client, soon, "changed my mind")
    early = priced_and_booked(market)
    run(platform, accept_task, bob, early, NO_WINDOW)
    run(platform, cancel_by_client, client, early, "")
    run(platform, cancel_by_client, client, priced_and_booked(market, starts=utcnow() + timedelta(hours=5)), "")
    # Bob is Ann's connection; a third tasker sees one connection who worked for the client.
    run(platform, request_connection, ann, people["bob"])
    run(platform, accept_connection, bob, people["ann"])
    with platform.uow() as uow:
        record = client_record(uow.session, people["client"], ann)
        as_operator = client_record(uow.session, people["client"], ops)
    assert record["tasks_completed"] == 3 and record["taskers_worked_for_them"] == 2
    assert record["cancellations_inside_24h"] == 1
    assert (
        record["adjustments_disputed"],
        record["disputes_ruled_for_tasker"],
        record["disputes_ruled_for_client"],
    ) == (
        1,
        1,
        0,
    )
    assert record["your_connections_who_worked_for_them"] == 1  # bob, counted, never named
    assert as_operator["your_connections_who_worked_for_them"] is None
    assert set(record) == {
        "client_id",
        "display_name",
        "member_since",
        "rating",
        "reviews",
        "tasks_completed",
        "taskers_worked_for_them",
        "cancellations_inside_24h",
        "adjustments_disputed",
        "disputes_ruled_for_tasker",
        "disputes_ruled_for_client",
        "disputes_open",
        "your_connections_who_worked_for_them",
        "your_connections_reviews",
    }
    assert record["your_connections_reviews"] == [] and as_operator["your_connections_reviews"] is None
    assert (record["rating"], record["reviews"]) == (None, 0)  # no rating until a review is revealed
    # Bob reviews the client; hidden until the client's review of Bob is in too.
    run(platform, review_task, bob, bobs, 2, "Changed the brief twice")
    reveal = Pipeline(platform, ["reviews"])
    reveal.drain()
    with platform.uow() as uow:
        assert client_record(uow.session, people["client"], ann)["your_connections_reviews"] == []
    run(platform, review_task, client, bobs, 5, "Great")
    reveal.drain()
    reveal.close()
    with platform.uow() as uow:
        record = client_record(uow.session, people["client"], ann)
    assert record["your_connections_reviews"] == [
        {
            "tasker_id": people["bob"],
            "display_name": bob.display_name,
            "rating": 2,
            "comment": "Changed the brief twice",
        }
    ]
    assert (record["rating"], record["reviews"]) == (round((5 * 4.0 + 2) / 6, 2), 1)
