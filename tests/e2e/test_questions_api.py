"""Questions and answers over HTTP, on each backbone: a tasker asks, peers answer and vote, the
asker marks the answer that helped; the reputation worker turns that into the answerer's karma on
their public profile; asking and answering are rate limited like tips; a client reads but never
writes; hostile bodies are 422 with field errors."""

from __future__ import annotations

import pytest

from api import create_app
from tests.support import NO_WINDOW, ApiHelper, Pipeline, seeded


@pytest.fixture(params=["embedded+sqlite", "kafka+postgres"])
def board(request, make_platform):
    transport, database = request.param.split("+")
    url = request.getfixturevalue(f"{database}_url")
    kafka = request.getfixturevalue("kafka_server") if transport == "kafka" else None
    platform = seeded(make_platform(url, kafka, priority_window=NO_WINDOW), demo_users=False)
    app = create_app({"TESTING": True}, platform=platform)
    pipeline = Pipeline(platform, ["reputation", "market"])
    yield app, ApiHelper(app.test_client(), platform), pipeline
    pipeline.close()


def _karma(api, tasker) -> float:
    profile = api.client.get(f"/api/v1/taskers/{tasker['id']}").json
    return next((c["tip_karma"] for c in profile["categories"] if c["category"] == "yard-work"), 0.0)


def test_asked_answered_voted_and_marked_with_karma_to_follow(board):
    _, api, pipeline = board
    asker, ann, bob, client = api.signup("tasker"), api.signup("tasker"), api.signup("tasker"), api.signup("client")
    asked = api.client.post(
        "/api/v1/boards/yard-work/questions",
        headers=api.headers(asker),
        json={"title": "Shears or trimmer?", "body": "For *box* hedges."},
    )
    assert asked.status_code == 201 and asked.json["body_html"] == "<p>For <em>box</em> hedges.</p>\n"
    qid = asked.json["id"]
    assert (
        api.client.post(f"/api/v1/questions/{qid}/answers", headers=api.headers(client), json={"body": "x"}).status_code
        == 403
    )
    answers = {}
    for who, body in ((ann, "Shears, always."), (bob, "A trimmer, then shears.")):
        r = api.client.post(f"/api/v1/questions/{qid}/answers", headers=api.headers(who), json={"body": body})
        assert r.status_code == 201, r.json
        answers[who["id"]] = r.json["id"]
    vote = api.client.post(
        f"/api/v1/answers/{answers[bob['id']]}/votes", headers=api.headers(ann), json={"helpful": True}
    )
    assert vote.status_code == 201
    again = api.client.post(
        f"/api/v1/answers/{answers[bob['id']]}/votes", headers=api.headers(ann), json={"helpful": False}
    )
    assert again.status_code == 409
    assert api.client.post(f"/api/v1/answers/{answers[ann['id']]}/accept", headers=api.headers(bob)).status_code == 403
    marked = api.client.post(f"/api/v1/answers/{answers[ann['id']]}/accept", headers=api.headers(asker))
    assert marked.status_code == 200
    thread = api.client.get(f"/api/v1/questions/{qid}").json  # anyone reads it
    assert [a["id"] for a in thread["answers"]] == [answers[ann["id"]], answers[bob["id"]]]
    assert thread["answers"][0]["accepted"] and thread["answers"][1]["helpful"] == 1
    listed = api.client.get("/api/v1/boards/yard-work/questions", headers=api.headers(client)).json
    assert listed["total"] == 1 and listed["questions"][0]["answers"] == 2
    assert listed["questions"][0]["author_tier"] == "newcomer"
    pipeline.drain()
    assert _karma(api, ann) == pytest.approx(0.5)  # accepted, no votes yet
    assert _karma(api, bob) == pytest.approx(0.206543, abs=1e-6)  # one helpful vote's Wilson bound


def test_bad_bodies_and_limits(board):
    app, api, _ = board
    tasker = api.signup("tasker")
    for body, field in (
        ({"title": "", "body": "b"}, "title"),
        ({"title": "t" * 121, "body": "b"}, "title"),
        ({"title": "t", "body": "b" * 5001}, "body"),
        ({"title": "t", "body": "\ud800"}, "body"),
        ({"title": 5, "body": "b"}, "title"),
    ):
        r = api.client.post("/api/v1/boards/yard-work/questions", headers=api.headers(tasker), json=body)
        assert r.status_code == 422 and field in str(r.json["errors"]), (body, r.json)
    assert (
        api.client.post(
            "/api/v1/boards/atlantis/questions", headers=api.headers(tasker), json={"title": "t", "body": "b"}
        ).status_code
        == 404
    )
    assert api.client.get("/api/v1/questions/99999999").status_code == 404
    app.config.update(RATELIMIT_TIPS="2 per minute")
    codes = [
        api.client.post(
            "/api/v1/boards/yard-work/questions", headers=api.headers(tasker), json={"title": f"Q{n}", "body": "b"}
        ).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]
