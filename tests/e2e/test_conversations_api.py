"""A task's conversation over HTTP: the tasker through the API, the client on the task page (with
the unread count in the header), the per-sender rate limit, hostile input, and the console's
recorded reads."""

from __future__ import annotations

import pytest

from api import create_app
from tests.support import NO_WINDOW, UNLIMITED, ApiHelper, csrf, pass_two_factor, seeded


def make_api(make_platform, sqlite_url, **config) -> ApiHelper:
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    app = create_app({"TESTING": True, **UNLIMITED, **config}, platform=platform)
    return ApiHelper(app.test_client(), platform)


@pytest.fixture(params=["sqlite", "postgres"])
def open_api(request, make_platform):
    return make_api(make_platform, request.getfixturevalue(f"{request.param}_url"))


def accepted(api, email: str = "client@example.test"):
    client = api.signup("client", email)
    tasker = api.signup("tasker")
    api.client.put(
        "/api/v1/taskers/me/skills",
        json={"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]},
        headers=api.headers(tasker),
    )
    task_id = api.post_task(client).json["id"]
    api.price_pending()
    api.book(client, task_id)
    assert api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker)).status_code == 200
    return client, tasker, task_id


def web_sign_in(api, email: str) -> None:
    page = api.client.get("/login").get_data(as_text=True)
    r = api.client.post("/login", data={"email": email, "password": "correct horse battery", "csrf_token": csrf(page)})
    r = pass_two_factor(api.client, r)  # an operator's second step
    assert r.status_code in (302, 303)


def test_the_tasker_writes_through_the_api_and_the_client_reads_and_answers_on_the_page(open_api):
    api = open_api
    client, tasker, task_id = accepted(api)
    sent = api.client.post(
        f"/api/v1/tasks/{task_id}/messages",
        json={"body": "On my way <b>now</b>, call 555-123-4567"},
        headers=api.headers(tasker),
    )
    assert sent.status_code == 201, sent.json
    assert sent.json["masked"] and "4567" not in sent.json["body"]
    assert api.client.get("/api/v1/messages/unread", headers=api.headers(client)).json["total"] == 1

    web_sign_in(api, "client@example.test")
    tasks = api.client.get("/tasks").get_data(as_text=True)
    assert 'data-unread="1"' in tasks  # the header's count, before the task page is opened
    page = api.client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "On my way &lt;b&gt;now&lt;/b&gt;" in page  # plain text: shown escaped, never as HTML
    assert "data-unread" not in api.client.get("/tasks").get_data(as_text=True)  # read now
    answer = api.client.post(
        f"/tasks/{task_id}/messages", data={"body": "Thanks! Side gate.", "csrf_token": csrf(page)}
    )
    assert answer.status_code in (302, 303)
    thread = api.client.get(f"/api/v1/tasks/{task_id}/messages", headers=api.headers(tasker)).json
    assert [(m["mine"], m["body"]) for m in thread["messages"]][-1] == (False, "Thanks! Side gate.")
    status = api.client.get(f"/tasks/{task_id}/status").get_data(as_text=True)  # what the page polls
    assert "Thanks! Side gate." in status and 'data-messages="2"' in status


def test_outsiders_get_404_and_operators_403_without_a_claim(open_api):
    api = open_api
    _, _, task_id = accepted(api)
    other_client, other_tasker, operator = api.signup("client"), api.signup("tasker"), api.signup("operator")
    for who in (other_client, other_tasker):
        assert api.client.get(f"/api/v1/tasks/{task_id}/messages", headers=api.headers(who)).status_code == 404
        r = api.client.post(f"/api/v1/tasks/{task_id}/messages", json={"body": "hi"}, headers=api.headers(who))
        assert r.status_code == 404
    r = api.client.get(f"/api/v1/tasks/{task_id}/messages?reason=curious", headers=api.headers(operator))
    assert r.status_code == 403
    assert (
        api.client.post(
            f"/api/v1/tasks/{task_id}/messages", json={"body": "x"}, headers=api.headers(operator)
        ).status_code
        == 403
    )


def test_messages_are_rate_limited_per_sender(make_platform, sqlite_url):
    api = make_api(make_platform, sqlite_url, RATELIMIT_MESSAGES="3 per minute")
    client, tasker, task_id = accepted(api)
    codes = [
        api.client.post(
            f"/api/v1/tasks/{task_id}/messages", json={"body": f"m{i}"}, headers=api.headers(tasker)
        ).status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    other = api.client.post(f"/api/v1/tasks/{task_id}/messages", json={"body": "mine"}, headers=api.headers(client))
    assert other.status_code == 201  # a limit per sender, not per task


@pytest.mark.parametrize(
    "body, status",
    [
        ({"body": "\ud800"}, 422),
        ({"body": "x" * 2001}, 422),
        ({"body": ""}, 422),
        ({"body": 7}, 422),
        ({}, 422),
    ],
)
def test_hostile_messages_get_a_4xx_with_field_errors(open_api, body, status):
    api = open_api
    _, tasker, task_id = accepted(api)
    r = api.client.post(f"/api/v1/tasks/{task_id}/messages", json=body, headers=api.headers(tasker))
    assert r.status_code == status and "body" in str(r.json.get("errors")), r.json


def test_a_megabyte_message_and_deep_json_are_refused_before_anything_is_stored(open_api):
    api = open_api
    _, tasker, task_id = accepted(api)
    huge = api.client.post(
        f"/api/v1/tasks/{task_id}/messages", json={"body": "x" * 1_000_000}, headers=api.headers(tasker)
    )
    assert 400 <= huge.status_code < 500 and huge.is_json
    deep = "[" * 5000 + "]" * 5000
    r = api.client.post(
        f"/api/v1/tasks/{task_id}/messages",
        data=deep,
        headers={**api.headers(tasker), "Content-Type": "application/json"},
    )
    assert 400 <= r.status_code < 500 and r.is_json
    thread = api.client.get(f"/api/v1/tasks/{task_id}/messages", headers=api.headers(tasker)).json
    assert thread["messages"] == []


def test_an_operator_reads_a_disputed_tasks_conversation_in_the_console_and_the_read_is_listed(open_api):
    api = open_api
    client, tasker, task_id = accepted(api, "disputer@example.test")
    api.client.post(f"/api/v1/tasks/{task_id}/messages", json={"body": "It took longer"}, headers=api.headers(tasker))
    for step, body in (("start", None), ("complete", {"minutes_worked": 300, "reason": "roots"})):
        assert (
            api.client.post(f"/api/v1/tasks/{task_id}/{step}", json=body, headers=api.headers(tasker)).status_code
            == 200
        )
    r = api.client.post(
        f"/api/v1/tasks/{task_id}/adjustment/dispute", json={"reason": "too long"}, headers=api.headers(client)
    )
    assert r.status_code == 200, r.json
    operator = api.signup("operator", "op@example.test")
    web_sign_in(api, "op@example.test")
    disputes = api.client.get("/console/disputes").get_data(as_text=True)
    shown = api.client.post(
        f"/console/disputes/{task_id}/conversation", data={"reason": "checking the hours", "csrf_token": csrf(disputes)}
    )
    assert shown.status_code == 200 and "It took longer" in shown.get_data(as_text=True)
    reads = api.client.get("/console/conversation-reads").get_data(as_text=True)
    assert "checking the hours" in reads and f'data-read="{task_id}"' in reads
    api_read = api.client.get(f"/api/v1/tasks/{task_id}/messages?reason=appeal", headers=api.headers(operator))
    assert api_read.status_code == 200 and api_read.json["open"] is False
