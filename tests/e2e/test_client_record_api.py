"""A client's record over HTTP: beside each task in a tasker's feed, and at /api/v1/clients/{id};
never to other clients; the client's own task view carries none."""

from __future__ import annotations

from api import create_app
from tests.support import NO_WINDOW, ApiHelper, seeded


def test_the_feed_carries_each_clients_record(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    client, other, tasker = api.signup("client"), api.signup("client"), api.signup("tasker")
    skills = {"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]}
    assert api.client.put("/api/v1/taskers/me/skills", headers=api.headers(tasker), json=skills).status_code == 200
    task_id = api.post_task(client).json["id"]
    api.price_pending()
    api.book(client, task_id)
    feed = api.client.get("/api/v1/tasks?open=true", headers=api.headers(tasker)).json
    [item] = [t for t in feed["items"] if t["id"] == task_id]
    record = item["client_record"]
    assert record["client_id"] == client["id"] and record["tasks_completed"] == 0
    assert record["member_since"].endswith("+00:00") and record["your_connections_who_worked_for_them"] == 0
    assert "email" not in record and "address" not in record
    assert (record["rating"], record["reviews"]) == (None, 0)  # no reviews yet: no made-up 4.0
    own = api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(client)).json
    assert own["client_record"] is None
    url = f"/api/v1/clients/{client['id']}"
    assert api.client.get(url, headers=api.headers(tasker)).json == record
    assert api.client.get(url, headers=api.headers(other)).status_code == 403
    assert api.client.get(f"/api/v1/clients/{tasker['id']}", headers=api.headers(tasker)).status_code == 404
    assert api.client.get("/api/v1/clients/99999999", headers=api.headers(tasker)).status_code == 404
