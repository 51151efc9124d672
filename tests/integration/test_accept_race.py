"""Fifty taskers accept the same task at once over real HTTP: exactly one wins, 49 get a 409."""

from __future__ import annotations

import threading

import pytest
import requests
from sqlmodel import select

from api import create_app
from events.tables import EventLogRow
from marketplace.tasks.models import Task, TaskStatus
from tests.support import NO_WINDOW, ApiHelper, Pipeline, live_server, make_tasker, seeded

RACERS = 50


def priced_task(platform):
    """(app, api helper, the client, a priced task's id) on a seeded platform."""
    seeded(platform)
    app = create_app({"TESTING": True}, platform=platform)
    api = ApiHelper(app.test_client(), platform)
    client = api.signup("client")
    task_id = api.post_task(client).json["id"]
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    return app, api, client, task_id


@pytest.mark.parametrize("database", ["postgres", "sqlite"])
def test_fifty_taskers_race_for_one_task(request, make_platform, database):
    platform = make_platform(request.getfixturevalue(f"{database}_url"), priority_window=NO_WINDOW)
    app, api, client, task_id = priced_task(platform)
    api.book(client, task_id)
    racers = [
        make_tasker(platform, f"racer{i}@example.test", {"yard-work": 2400}, ["springfield"]) for i in range(RACERS)
    ]

    results: list[tuple[int, int]] = []
    start = threading.Barrier(RACERS)
    with live_server(app) as base:

        def race(tasker_id: int, token: str) -> None:
            with requests.Session() as http:
                start.wait()
                r = http.post(
                    f"{base}/api/v1/tasks/{task_id}/accept", headers={"Authorization": f"Bearer {token}"}, timeout=60
                )
                results.append((tasker_id, r.status_code))

        threads = [threading.Thread(target=race, args=racer) for racer in racers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

    codes = sorted(code for _, code in results)
    assert len(results) == RACERS
    assert codes == [200] + [409] * (RACERS - 1), codes
    winner = next(tasker_id for tasker_id, code in results if code == 200)
    with platform.uow() as uow:
        task = uow.session.get(Task, task_id)
        assert (task.status, task.tasker_id) == (TaskStatus.accepted, winner)
        accepted = uow.session.exec(select(EventLogRow).where(EventLogRow.topic == "tasks.lifecycle")).all()
        assert len(accepted) == 1  # one task.accepted event, for the winner only


def test_ten_bookings_of_one_task_at_once_hold_the_card_once(make_platform, postgres_url):
    """A client double-clicking "book" from several tabs: one hold, every other request a clean 409."""
    app, api, client, task_id = priced_task(make_platform(postgres_url, priority_window=NO_WINDOW))
    codes: list[int] = []
    start = threading.Barrier(10)
    with live_server(app) as base:

        def book() -> None:
            start.wait()
            r = requests.post(
                f"{base}/api/v1/tasks/{task_id}/book",
                json={"payment_method": "pm_card_visa"},
                headers={"Authorization": client["Authorization"]},
                timeout=60,
            )
            codes.append(r.status_code)

        threads = [threading.Thread(target=book) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(codes) == [200] + [409] * 9, codes
