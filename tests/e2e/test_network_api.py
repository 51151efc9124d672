"""The taskers' network over HTTP: connect, hand a task on, endorse, read the path; what hostile
input gets (4xx with field errors, never a 5xx); and the pages that show the network."""

from __future__ import annotations

import pytest

from api import create_app
from marketplace.community.models import Reputation
from tests.e2e.test_tasker_api import skills
from tests.support import NO_WINDOW, ApiHelper, csrf, seeded


@pytest.fixture(params=["sqlite", "postgres"])
def open_api(request, make_platform):
    """Both databases: the network's queries (blocks, candidates, the mentoring counts) on each."""
    url = request.getfixturevalue(f"{request.param}_url")
    platform = seeded(make_platform(url, priority_window=NO_WINDOW))
    return ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)


def tasker(api, name: str, rate: int = 2400) -> dict:
    who = api.signup("tasker", f"{name}@example.test")
    skills(api, who, {"yard-work": rate})
    return who


def accepted_task(api, holder) -> int:
    client = api.signup("client")
    task_id = api.post_task(client, address="12 Elm St").json["id"]
    api.price_pending()
    api.book(client, task_id)
    assert api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(holder)).status_code == 200
    return task_id


def test_connect_hand_off_and_endorse_over_http(open_api):
    api = open_api
    ann, bob = tasker(api, "ann"), tasker(api, "bob")
    post = lambda who, path, body=None: api.client.post(path, json=body, headers=api.headers(who))  # noqa: E731
    get = lambda who, path: api.client.get(path, headers=api.headers(who))  # noqa: E731
    assert post(ann, "/api/v1/taskers/me/connections", {"tasker_id": bob["id"]}).status_code == 201
    assert post(ann, "/api/v1/taskers/me/connections", {"tasker_id": bob["id"]}).status_code == 409
    assert post(bob, f"/api/v1/taskers/me/connections/{ann['id']}/accept").status_code == 200
    listed = get(ann, "/api/v1/taskers/me/connections").json
    assert [c["id"] for c in listed["connections"]] == [bob["id"]]
    assert listed["connections"][0]["categories"] == ["yard-work"]

    task_id = accepted_task(api, ann)
    candidates = get(ann, f"/api/v1/tasks/{task_id}/handoff/candidates").json["candidates"]
    assert candidates[0] == {**candidates[0], "id": bob["id"], "connected": True}
    made = post(ann, f"/api/v1/tasks/{task_id}/handoff", {"tasker_ids": [bob["id"]], "note": "I'm ill"})
    assert made.status_code == 201, made.json
    [offer] = made.json["offers"]
    incoming = get(bob, "/api/v1/taskers/me/handoffs").json["incoming"]
    assert [o["id"] for o in incoming] == [offer["id"]]
    assert get(bob, f"/api/v1/tasks/{task_id}").json["address"] is None  # not until bob holds it
    taken = post(bob, f"/api/v1/handoffs/{offer['id']}/accept")
    assert taken.status_code == 200 and taken.json["tasker_id"] == bob["id"]
    assert taken.json["handed_from_id"] == ann["id"] and taken.json["address"] == "12 Elm St"
    assert post(bob, f"/api/v1/handoffs/{offer['id']}/accept").status_code == 409
    assert get(ann, f"/api/v1/tasks/{task_id}").status_code == 404  # ann holds it no more

    with api.platform.uow() as uow:
        uow.session.add(Reputation(tasker_id=ann["id"], category="yard-work", completed=3, accepted=3))
        uow.commit()
    given = post(ann, f"/api/v1/taskers/{bob['id']}/endorsements", {"category": "yard-work", "text": "Reliable"})
    assert given.status_code == 201, given.json
    assert given.json["counts_for_mentoring"] is False
    public = api.client.get(f"/api/v1/taskers/{bob['id']}/endorsements").json
    assert [e["text"] for e in public["endorsements"]] == ["Reliable"]
    assert api.client.delete(f"/api/v1/endorsements/{given.json['id']}", headers=api.headers(ann)).status_code == 204
    assert api.client.get(f"/api/v1/taskers/{bob['id']}/endorsements").json["total"] == 0

    path = get(ann, "/api/v1/taskers/me/path").json
    mounting = next(c for c in path["categories"] if c["category"] == "mounting")
    assert {r["route"] for r in mounting["routes"]} == {"completed_work", "mentored"}
    assert mounting["earns_now"] == 2400 and mounting["highest_floor"] == 3800
    assert mounting["floors"] == [  # per region: its floor against the best rate there now
        {"region": "springfield", "hourly_floor": 3800, "earns_now": 2400, "difference": 1400}
    ]


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/taskers/me/connections", {"tasker_id": 2**63}, "tasker_id"),
        ("/api/v1/taskers/me/connections", {"tasker_id": "7"}, "tasker_id"),
        ("/api/v1/taskers/me/blocks", {"tasker_id": -1}, "tasker_id"),
        ("/api/v1/tasks/1/handoff", {"tasker_ids": [1, 2, 3, 4, 5, 6]}, "tasker_ids"),
        ("/api/v1/tasks/1/handoff", {"tasker_ids": [2**40]}, "tasker_ids"),
        ("/api/v1/tasks/1/handoff", {"tasker_ids": [2], "note": "\ud800"}, "note"),
        ("/api/v1/taskers/1/endorsements", {"category": "yard-work", "text": "x" * 501}, "text"),
        ("/api/v1/taskers/1/endorsements", {"category": "yard-work", "text": "ok\ud83d"}, "text"),
        ("/api/v1/taskers/1/endorsements", {"category": "Yard Work!", "text": "ok"}, "category"),
        ("/api/v1/handoffs/1/decline", {"reason": "r" * 301}, "reason"),
    ],
)
def test_hostile_input_gets_field_errors(open_api, path, body, field):
    ann = tasker(open_api, "ann")
    r = open_api.client.post(path, json=body, headers=open_api.headers(ann))
    assert r.status_code == 422, (r.status_code, r.json)
    assert field in str(r.json.get("errors")), r.json


def test_huge_ids_in_paths_and_deep_json_are_4xx(open_api):
    ann = tasker(open_api, "ann")
    for path in (
        "/api/v1/handoffs/99999999999999999999/accept",
        "/api/v1/taskers/me/connections/99999999999999999999/accept",
        "/api/v1/endorsements/99999999999999999999/revoke",
    ):
        r = open_api.client.post(path, headers=open_api.headers(ann))
        assert 400 <= r.status_code < 500, (path, r.status_code)
    raw = "[" * 5000 + "]" * 5000  # JSON nested far deeper than any body we take
    r = open_api.client.post(
        "/api/v1/tasks/1/handoff", data=raw, headers={**open_api.headers(ann), "Content-Type": "application/json"}
    )
    assert 400 <= r.status_code < 500 and r.is_json


def test_the_public_profile_shows_connections_and_those_a_signed_in_tasker_shares(open_api):
    api = open_api
    ann, bob, carl = tasker(api, "ann"), tasker(api, "bob"), tasker(api, "carl")
    for a, b in ((ann, bob), (carl, bob), (ann, carl)):
        api.client.post("/api/v1/taskers/me/connections", json={"tasker_id": b["id"]}, headers=api.headers(a))
        api.client.post(f"/api/v1/taskers/me/connections/{a['id']}/accept", headers=api.headers(b))
    anonymous = api.client.get(f"/taskers/{bob['id']}").get_data(as_text=True)
    assert 'data-connections="2"' in anonymous and "you share" not in anonymous
    page = api.client.get("/login").get_data(as_text=True)
    api.client.post(
        "/login", data={"email": "ann@example.test", "password": "correct horse battery", "csrf_token": csrf(page)}
    )
    shared = api.client.get(f"/taskers/{bob['id']}").get_data(as_text=True)
    assert "you share 1" in shared and f"/taskers/{carl['id']}" in shared
    me = api.client.get("/me").get_data(as_text=True)
    assert "Your path to better-paid work" in me and 'data-path="mounting"' in me


def test_the_feed_counts_the_connections_who_worked_for_a_tasks_client(open_api):
    api = open_api
    ann, bob, carl = tasker(api, "ann"), tasker(api, "bob"), tasker(api, "carl")
    api.client.post("/api/v1/taskers/me/connections", json={"tasker_id": bob["id"]}, headers=api.headers(ann))
    api.client.post(f"/api/v1/taskers/me/connections/{ann['id']}/accept", headers=api.headers(bob))
    client = api.signup("client")
    done = api.post_task(client).json["id"]
    api.price_pending()
    api.book(client, done)
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 60})):
        r = api.client.post(f"/api/v1/tasks/{done}/{step}", json=body, headers=api.headers(bob))
        assert r.status_code == 200, (step, r.json)
    fresh = api.post_task(client).json["id"]
    api.price_pending()
    api.book(client, fresh)
    feed = api.client.get("/api/v1/tasks?open=true", headers=api.headers(ann)).json["items"]
    [item] = [t for t in feed if t["id"] == fresh]
    # Bob worked for the client but has not reviewed them: counted, never named.
    assert item["network"] == {"connections_worked_for_client": 1, "connections": []}
    lonely = api.client.get("/api/v1/tasks?open=true", headers=api.headers(carl)).json["items"]
    assert [t["network"] for t in lonely if t["id"] == fresh] == [None]
