"""The whole marketplace over HTTP, on each backbone, in steps that each stand on their own (so the
first failure does not hide the rest): skills against the floor; post, priced, booked, the feed
and an atomic accept; a claim beyond the booking approved and charged; a review reaching
reputation; tips voted and ranked; and both projections rebuilt by replay, equal to the live ones."""

from __future__ import annotations

import pytest
from sqlmodel import select

from api import create_app
from events.contracts import decode
from events.tables import EventLogRow
from marketplace.community.models import BoardEntry, KarmaTip, Reputation
from marketplace.payments.ledger import balances
from tests.support import NO_WINDOW, ApiHelper, Pipeline, seeded
from workers.replay import replay


@pytest.fixture(params=["embedded+sqlite", "kafka+postgres"])
def market(request, make_platform):
    transport, database = request.param.split("+")
    url = request.getfixturevalue(f"{database}_url")
    kafka = request.getfixturevalue("kafka_server") if transport == "kafka" else None
    platform = make_platform(url, kafka, priority_window=NO_WINDOW)
    seeded(platform, demo_users=False)
    app = create_app({"TESTING": True}, platform=platform)
    pipeline = Pipeline(platform, ["pricing", "reputation", "tips", "payments", "reviews"])
    yield ApiHelper(app.test_client(), platform), pipeline
    pipeline.close()


def status_of(api, who, task_id) -> str:
    return api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(who)).json["status"]


def status_of_payment(api, who, task_id) -> str:
    return api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(who)).json["payment_status"]


def snapshot(platform, model, key) -> list[dict]:
    with platform.uow() as uow:
        return [row.model_dump() for row in uow.session.exec(select(model).order_by(*key))]


def skilled(api, *taskers) -> None:
    for who in taskers:
        ok = api.client.put(
            "/api/v1/taskers/me/skills",
            headers=api.headers(who),
            json={"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]},
        )
        assert ok.status_code == 200, ok.json


def priced_and_booked(api, pipeline, client, minutes: int = 95) -> tuple[int, dict]:
    posted = api.post_task(client, estimated_minutes=minutes)
    assert posted.status_code == 202 and posted.json["status"] == "posted"
    task_id = posted.json["id"]
    pipeline.until(lambda: status_of(api, client, task_id) == "priced", "the task to be priced")
    priced = api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(client)).json
    api.book(client, task_id)
    return task_id, priced


def worked(api, pipeline, client, tasker, minutes: int) -> int:
    """A booked task the tasker accepted, started and completed within the booking."""
    task_id, _ = priced_and_booked(api, pipeline, client, minutes)
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": minutes})):
        r = api.client.post(f"/api/v1/tasks/{task_id}/{step}", headers=api.headers(tasker), json=body)
        assert r.status_code == 200, (step, r.json)
    return task_id


def yard_work(api, tasker) -> dict | None:
    rep = api.client.get(f"/api/v1/taskers/{tasker['id']}").json
    return next((r for r in rep["categories"] if r["category"] == "yard-work"), None)


def test_skills_below_the_floor_are_refused_naming_it(market):
    api, _ = market
    tasker = api.signup("tasker")
    low = api.client.put(
        "/api/v1/taskers/me/skills",
        headers=api.headers(tasker),
        json={"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 1000}]},
    )
    assert low.status_code == 422
    assert "floor of 24.00 USD/h" in low.json["errors"]["json"]["skills"]["0"]["rate"][0]
    skilled(api, tasker)
    mine = api.client.get("/api/v1/taskers/me/skills", headers=api.headers(tasker)).json
    assert mine["skills"][0] == {**mine["skills"][0], "floor": 2400, "unlocked": True}


def test_a_posting_is_priced_booked_offered_and_accepted_once(market):
    api, pipeline = market
    c = api.client
    client, tasker, rival = api.signup("client"), api.signup("tasker"), api.signup("tasker")
    skilled(api, tasker, rival)
    posted = api.post_task(client, estimated_minutes=95)
    task_id = posted.json["id"]
    pipeline.until(lambda: status_of(api, client, task_id) == "priced", "the task to be priced")
    priced = c.get(f"/api/v1/tasks/{task_id}", headers=api.headers(client)).json
    assert priced["quote"]["billable_minutes"] == 105 and priced["quote"]["rate"] == 2400
    assert c.get("/api/v1/tasks?open=true", headers=api.headers(tasker)).json["items"] == []  # not booked yet
    booked = api.book(client, task_id).json["task"]
    assert booked["payment_status"] == "authorized"
    assert booked["payment"]["amount_authorized"] == priced["quote"]["total"]

    # The feed, then an atomic accept: the rival is too late.
    feed = c.get("/api/v1/tasks?open=true", headers=api.headers(tasker)).json
    assert [t["id"] for t in feed["items"]] == [task_id] and feed["total"] == 1
    assert c.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker)).status_code == 200
    late = c.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(rival))
    assert late.status_code == 409 and "no longer open" in late.json["message"]
    assert c.get("/api/v1/tasks?open=true", headers=api.headers(rival)).json["items"] == []


def test_work_beyond_the_booking_is_charged_once_the_client_approves(market):
    api, pipeline = market
    c = api.client
    client, tasker = api.signup("client"), api.signup("tasker")
    skilled(api, tasker)
    task_id, priced = priced_and_booked(api, pipeline, client, 95)
    for step in ("accept", "start"):
        assert c.post(f"/api/v1/tasks/{task_id}/{step}", headers=api.headers(tasker)).status_code == 200
    # 130 minutes comes to more than the client booked, so it is a claim the client must approve.
    claim = c.post(
        f"/api/v1/tasks/{task_id}/complete",
        headers=api.headers(tasker),
        json={"minutes_worked": 130, "reason": "The beds needed edging too"},
    )
    assert claim.status_code == 200, claim.json
    assert claim.json["status"] == "awaiting_approval" and claim.json["adjustment"]["status"] == "pending"
    done = c.post(f"/api/v1/tasks/{task_id}/adjustment/approve", headers=api.headers(client))
    assert done.status_code == 200, done.json
    final = done.json["final_quote"]
    assert done.json["status"] == "completed" and final["billable_minutes"] == 135
    assert final["rule_version"] == priced["quote"]["rule_version"]
    assert final["subtotal"] == 2400 * 135 // 60 and final["total"] == final["payout"] + final["platform"]
    pipeline.until(lambda: status_of_payment(api, client, task_id) == "captured", "the payments worker to capture")
    with api.platform.uow() as uow:  # the approved difference is charged beyond the hold, and paid on
        assert balances(uow.session, task_id) == {
            "client": -final["total"],
            "tasker_payable": final["payout"],
            "platform_fees": final["platform"],
        }


def test_a_review_reaches_the_taskers_reputation(market):
    api, pipeline = market
    c = api.client
    client, tasker = api.signup("client"), api.signup("tasker")
    skilled(api, tasker)
    task_id = worked(api, pipeline, client, tasker, 60)
    review = c.post(
        f"/api/v1/tasks/{task_id}/review", headers=api.headers(client), json={"rating": 5, "comment": "Spotless."}
    )
    assert review.status_code == 201, review.json
    again = c.post(f"/api/v1/tasks/{task_id}/review", headers=api.headers(client), json={"rating": 1})
    assert again.status_code == 409
    pipeline.drain()
    assert yard_work(api, tasker)["reviews"] == 0  # double-blind: hidden until the tasker's is in
    theirs = c.post(f"/api/v1/tasks/{task_id}/review", headers=api.headers(tasker), json={"rating": 4})
    assert theirs.status_code == 201, theirs.json
    pipeline.until(
        lambda: (r := yard_work(api, tasker)) and r["completed"] == 1 and r["reviews"] == 1,
        "reputation to count the completed, reviewed task",
    )
    rep = yard_work(api, tasker)
    with api.platform.uow() as uow:  # the projector announced the tasker's new standing
        changes = [
            decode(r.value)
            for r in uow.session.exec(
                select(EventLogRow).where(EventLogRow.topic == "reputation.changes").order_by(EventLogRow.seq)
            )
        ]
    assert changes and changes[-1].data["tasker_id"] == tasker["id"] and changes[-1].data["score"] == rep["score"]
    assert rep["accepted"] == 1 and rep["reliability"] == 1.0 and rep["rating"] == round((5 * 4 + 5) / 6, 2)


def post_tips(api, tasker, rival) -> tuple[int, int]:
    c = api.client
    good = c.post(
        "/api/v1/boards/yard-work/tips",
        headers=api.headers(tasker),
        json={"title": "Rake with the wind", "body": "Start **upwind**, bag as you go."},
    )
    meh = c.post(
        "/api/v1/boards/yard-work/tips",
        headers=api.headers(rival),
        json={"title": "Leaf blowers", "body": "Loud, but fast."},
    )
    assert good.status_code == meh.status_code == 201
    assert "<strong>upwind</strong>" in good.json["body_html"]
    return good.json["id"], meh.json["id"]


def test_tips_are_voted_once_never_by_their_author_and_ranked(market):
    api, pipeline = market
    c = api.client
    tasker, rival = api.signup("tasker"), api.signup("tasker")
    good_id, meh_id = post_tips(api, tasker, rival)

    def vote(who, tip_id, helpful):
        return c.post(f"/api/v1/tips/{tip_id}/votes", headers=api.headers(who), json={"helpful": helpful}).status_code

    assert vote(tasker, good_id, True) == 403
    assert vote(rival, good_id, True) == 201
    assert vote(rival, good_id, False) == 409
    assert vote(tasker, meh_id, False) == 201

    def board():
        return c.get("/api/v1/boards/yard-work").json

    pipeline.until(lambda: sum(t["helpful"] + t["unhelpful"] for t in board()["tips"]) == 2, "the board to count votes")
    ranked = board()["tips"]
    assert [t["tip_id"] for t in ranked] == [good_id, meh_id]
    assert ranked[0]["rank"] > 0 and ranked[1]["rank"] == 0
    # The projection may not have the tasker's category yet: wait for it rather than fail on its absence.
    pipeline.until(
        lambda: (yard_work(api, tasker) or {}).get("tip_karma", 0) > 0, "tip karma to reach the tasker's reputation"
    )


def test_replay_rebuilds_the_projections_exactly(market):
    api, pipeline = market
    client, tasker, rival = api.signup("client"), api.signup("tasker"), api.signup("tasker")
    skilled(api, tasker)
    task_id = worked(api, pipeline, client, tasker, 60)
    api.client.post(f"/api/v1/tasks/{task_id}/review", headers=api.headers(client), json={"rating": 4})
    good_id, _ = post_tips(api, tasker, rival)
    api.client.post(f"/api/v1/tips/{good_id}/votes", headers=api.headers(rival), json={"helpful": True})

    # Replay both projections from the log: identical to what the live workers built.
    pipeline.drain()
    live = {
        "reputation": snapshot(api.platform, Reputation, [Reputation.tasker_id, Reputation.category]),
        "karma": snapshot(api.platform, KarmaTip, [KarmaTip.tip_id]),
        "board": snapshot(api.platform, BoardEntry, [BoardEntry.tip_id]),
    }
    assert live["reputation"] and live["karma"] and live["board"]
    assert replay(api.platform, "reputation").applied > 0
    assert replay(api.platform, "tips").applied > 0
    assert snapshot(api.platform, Reputation, [Reputation.tasker_id, Reputation.category]) == live["reputation"]
    assert snapshot(api.platform, KarmaTip, [KarmaTip.tip_id]) == live["karma"]
    assert snapshot(api.platform, BoardEntry, [BoardEntry.tip_id]) == live["board"]
    # ...and the live group skips what the replay applied.
    pipeline.drain()
    assert snapshot(api.platform, Reputation, [Reputation.tasker_id, Reputation.category]) == live["reputation"]
