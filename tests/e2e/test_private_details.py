"""A task's address and access notes reach only its client, the tasker who holds it (from acceptance
until a day after completion) and operators: through every API read, the feed, the web pages and
the event log. Everyone else sees the public area and region."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from events.tables import EventLogRow
from marketplace.clock import utcnow
from marketplace.tasks.models import Task
from tests.support import NO_WINDOW, ApiHelper, pass_two_factor

ADDRESS = "12 Elm Street, flat 3"
NOTES = "Gate code 4711, key under the blue pot"


@pytest.fixture
def world(make_platform, sqlite_url):
    from api import create_app
    from tests.support import seeded

    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    client = create_app({"TESTING": True}, platform=platform).test_client()
    api = ApiHelper(client, platform)
    people = {role: api.signup(role) for role in ("client", "tasker", "operator")}
    people["other_client"] = api.signup("client")
    people["other_tasker"] = api.signup("tasker")
    skills = {"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]}
    for name in ("tasker", "other_tasker"):
        assert (
            client.put("/api/v1/taskers/me/skills", json=skills, headers=api.headers(people[name])).status_code == 200
        )
    posted = api.post_task(people["client"], area="Old Town", address=ADDRESS, access_notes=NOTES)
    assert posted.status_code == 202 and posted.json["address"] == ADDRESS  # the client's own answer
    task_id = posted.json["id"]
    api.price_pending()
    api.book(people["client"], task_id)
    return api, people, task_id


def read(api, who, task_id):
    return api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(who))


def test_a_taskers_feed_shows_the_area_but_never_the_address(world):
    api, people, task_id = world
    for name in ("tasker", "other_tasker"):
        feed = api.client.get("/api/v1/tasks?open=true", headers=api.headers(people[name])).json
        [item] = feed["items"]
        assert item["id"] == task_id and item["area"] == "Old Town" and item["region"] == "springfield"
        assert item["address"] is None and item["access_notes"] is None
        seen = read(api, people[name], task_id).json
        assert seen["address"] is None and seen["access_notes"] is None
    for name in ("client", "operator"):
        seen = read(api, people[name], task_id).json
        assert (seen["address"], seen["access_notes"]) == (ADDRESS, NOTES)
    assert read(api, people["other_client"], task_id).status_code == 404


def test_the_holding_tasker_reads_them_until_a_day_after_completion(world):
    api, people, task_id = world
    tasker = people["tasker"]
    assert api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker)).status_code == 200
    seen = read(api, tasker, task_id).json
    assert (seen["address"], seen["access_notes"]) == (ADDRESS, NOTES)
    held = api.client.get("/api/v1/tasks", headers=api.headers(tasker)).json["items"]
    assert [(t["id"], t["address"]) for t in held] == [(task_id, ADDRESS)]
    assert read(api, people["other_tasker"], task_id).status_code == 404

    assert api.client.post(f"/api/v1/tasks/{task_id}/start", headers=api.headers(tasker)).status_code == 200
    done = api.client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"minutes_worked": 60}, headers=api.headers(tasker)
    )
    assert done.status_code == 200 and done.json["address"] == ADDRESS  # a day's grace after completion
    with api.platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        task.completed_at = utcnow() - timedelta(days=1, minutes=1)
        uow.session.add(task)
        uow.commit()
    gone = read(api, tasker, task_id).json
    assert gone["status"] == "completed" and gone["address"] is None and gone["access_notes"] is None
    assert read(api, people["client"], task_id).json["address"] == ADDRESS
    assert read(api, people["operator"], task_id).json["address"] == ADDRESS


def test_a_tasker_who_gives_a_task_back_loses_its_address(world):
    api, people, task_id = world
    tasker = people["tasker"]
    api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker))
    back = api.client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "Van broke"}, headers=api.headers(tasker))
    assert back.status_code == 200 and back.json["address"] is None
    assert read(api, tasker, task_id).json["address"] is None  # still in the feed, without it


def test_no_event_carries_the_address_or_the_notes(world):
    api, people, task_id = world
    api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(people["tasker"]))
    with api.platform.uow() as uow:
        values = [row.value for row in uow.session.exec(select(EventLogRow))]
    assert values and not any(ADDRESS.encode() in v or b"4711" in v for v in values)


def test_the_clients_page_shows_them_and_the_description_is_said_to_be_public(world, app_for):
    api, people, task_id = world
    page = app_for(people["client"]).get(f"/tasks/{task_id}").get_data(as_text=True)
    assert ADDRESS in page and "Gate code 4711" in page and "only your tasker sees" in page
    form = app_for(people["client"]).get("/tasks/new").get_data(as_text=True)
    assert "Description (public" in form and "Address (private" in form


@pytest.fixture
def app_for(world):
    """A web client signed in as someone (through the sign-in form)."""
    from tests.support import csrf

    api, _, _ = world

    def signed_in(who):
        web = api.client.application.test_client()
        token = csrf(web.get("/login").get_data(as_text=True))
        answer = web.post(
            "/login", data={"email": who["email"], "password": "correct horse battery", "csrf_token": token}
        )
        assert pass_two_factor(web, answer).status_code == 302  # an operator's second step
        return web

    return signed_in
