"""Taskers by API: who sees what in the feed (skill, region, level, rate, priority window), the
levels unlocking, cancellations on both sides, completion rules, tip moderation, and bad events
on the new topics reaching their dead-letter queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import update

from api import create_app
from events.dlq import list_dead_letters
from events.envelope import CloudEvent
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.tasks.models import Task
from tests.support import NO_WINDOW, ApiHelper, Pipeline, seeded


@pytest.fixture
def open_api(make_platform, sqlite_url):
    """The API with no priority window, so a newcomer sees a task the moment it is priced."""
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    return ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)


def skills(api, who, skills: dict[str, int], regions=("springfield",)):
    r = api.client.put(
        "/api/v1/taskers/me/skills",
        headers=api.headers(who),
        json={"regions": list(regions), "skills": [{"category": c, "rate": rate} for c, rate in skills.items()]},
    )
    assert r.status_code == 200, r.json
    return r.json


def feed_page(api, who) -> dict:
    return api.client.get("/api/v1/tasks?open=true", headers=api.headers(who)).json


def feed_ids(api, who) -> list[int]:
    r = api.client.get("/api/v1/tasks?open=true&page_size=100", headers=api.headers(who))
    assert r.status_code == 200, r.json
    return [t["id"] for t in r.json["items"]]


def priced(api, client, **task) -> int:
    """Posted, priced and booked: open to taskers."""
    task_id = api.post_task(client, **task).json["id"]
    api.price_pending()
    api.book(client, task_id)
    return task_id


def test_feed_filters_by_skill_region_level_and_rate(open_api):
    api = open_api
    client = api.signup("client")
    plain = priced(api, client)  # yard-work, springfield, at the floor: 24.00/h
    generous = priced(api, client, offered_rate=3000)
    elsewhere = priced(api, client, region="riverside")
    unbooked = api.post_task(client).json["id"]
    api.price_pending()
    moving = priced(api, client, category="moving-help")
    skilled = priced(api, client, category="mounting")

    picky, broad = api.signup("tasker"), api.signup("tasker")
    skills(api, picky, {"yard-work": 2500})
    view = skills(api, broad, {"yard-work": 2400, "moving-help": 2400, "mounting": 3800})
    assert {s["category"]: s["unlocked"] for s in view["skills"]} == {
        "moving-help": True,
        "mounting": False,
        "yard-work": True,
    }
    assert feed_ids(api, picky) == [generous]  # asks 25.00/h: only the task paying 30.00/h
    assert sorted(feed_ids(api, broad)) == sorted([plain, generous, moving])  # mounting is locked
    assert elsewhere not in feed_ids(api, broad) and skilled not in feed_ids(api, broad)
    assert unbooked not in feed_ids(api, broad)  # priced, but no card hold yet
    assert api.client.post(f"/api/v1/tasks/{plain}/accept", headers=api.headers(picky)).status_code == 403

    page = api.client.get("/api/v1/tasks?open=true&page=2&page_size=2", headers=api.headers(broad)).json
    assert page["total"] == 3 and len(page["items"]) == 1 and page["page"] == 2
    bad = api.client.get("/api/v1/tasks?open=true&page_size=1000", headers=api.headers(broad))
    assert bad.status_code == 422 and "page_size" in bad.json["errors"]["query"]


def test_priority_window_gives_elite_taskers_earlier_sight(api):
    """The default window: elite at once, trusted after 60 s, newcomers after 180 s."""
    client, newcomer, elite = api.signup("client"), api.signup("tasker"), api.signup("tasker")
    for who in (newcomer, elite):
        skills(api, who, {"yard-work": 2400})
    with api.platform.uow() as uow:
        uow.session.add(Reputation(tasker_id=elite["id"], category="yard-work", score=90, tier="elite"))
        uow.commit()
    task_id = priced(api, client)
    assert feed_ids(api, elite) == [task_id] and feed_ids(api, newcomer) == []
    # Too early for the newcomer: a 409 with the moment it opens to them, never "not for you".
    early = api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(newcomer))
    assert early.status_code == 409 and "opens to you at" in early.json["message"], early.json
    assert "CDT" in early.json["message"] or "CST" in early.json["message"]  # Springfield's clock
    assert "higher tiers see it first" in early.json["message"]
    opens_at = datetime.fromisoformat(early.json["opens_at"])
    assert timedelta(seconds=175) < opens_at - utcnow() <= timedelta(seconds=180)

    def priced_ago(seconds: int) -> None:
        with api.platform.uow() as uow:
            uow.session.exec(
                update(Task).where(Task.id == task_id).values(priced_at=utcnow() - timedelta(seconds=seconds))
            )
            uow.commit()

    priced_ago(120)
    assert feed_ids(api, newcomer) == []
    # The newcomer is told why the feed is empty, and when it opens.
    page = api.client.get("/api/v1/tasks?open=true", headers=api.headers(newcomer)).json
    waiting = page["waiting"]
    assert (
        waiting["count"] == 1 and waiting["windows"] == {"yard-work": 180} and "higher tiers" in waiting["explanation"]
    )
    opens = datetime.fromisoformat(waiting["next_opens_at"])
    assert timedelta(seconds=55) < opens - utcnow() <= timedelta(seconds=60)
    mine = api.client.get("/api/v1/taskers/me/skills", headers=api.headers(newcomer)).json
    assert mine["waiting"]["count"] == 1 and mine["waiting"]["next_opens_at"] == waiting["next_opens_at"]
    assert feed_page(api, elite)["waiting"]["count"] == 0
    priced_ago(181)
    assert feed_ids(api, newcomer) == [task_id]
    # Earlier sight, never a lower price: both see the same rate.
    assert api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(newcomer)).json["quote"]["rate"] == 2400


def test_the_wait_is_said_to_favour_higher_tiers_only_when_one_sees_the_task_sooner(make_platform, sqlite_url):
    """Every tier waits 120 s: a newcomer waits like everyone, and is not told of higher tiers."""
    same = (("elite", 120), ("trusted", 120), ("newcomer", 120))
    platform = seeded(make_platform(sqlite_url, priority_window=same))
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    client, newcomer = api.signup("client"), api.signup("tasker")
    skills(api, newcomer, {"yard-work": 2400})
    task_id = priced(api, client)
    waiting = feed_page(api, newcomer)["waiting"]
    assert waiting["count"] == 1 and waiting["higher_tiers_first"] is False
    assert "higher tiers" not in waiting["explanation"] and "every tasker sees a task" in waiting["explanation"]
    early = api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(newcomer))
    assert early.status_code == 409 and "opens to you at" in early.json["message"]
    assert "higher tiers" not in early.json["message"] and early.json["opens_at"]
    # A task that is not for them at all keeps the refusal that says so, without a time.
    elsewhere = priced(api, client, region="seattle")
    refused = api.client.post(f"/api/v1/tasks/{elsewhere}/accept", headers=api.headers(newcomer))
    assert refused.status_code == 403 and "opens_at" not in refused.json


def test_a_tasker_cancelling_reopens_the_task_and_costs_reliability(open_api):
    api = open_api
    client, quitter, other = api.signup("client"), api.signup("tasker"), api.signup("tasker")
    for who in (quitter, other):
        skills(api, who, {"yard-work": 2400})
    task_id = priced(api, client)
    assert api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(quitter)).status_code == 200
    assert api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=api.headers(other)).status_code == 403
    r = api.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=api.headers(quitter), json={"reason": "ill"})
    assert r.status_code == 200 and r.json["status"] == "priced" and r.json["tasker_id"] is None
    assert feed_ids(api, other) == [task_id]
    assert api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(other)).status_code == 200

    pipeline = Pipeline(api.platform, ["reputation"])
    pipeline.drain()
    pipeline.close()
    rep = api.client.get(f"/api/v1/taskers/{quitter['id']}").json["categories"][0]
    assert (rep["accepted"], rep["tasker_cancelled"], rep["reliability"]) == (1, 1, 0.0)


def test_client_cancellation_policy_over_the_api(open_api):
    api = open_api
    client, tasker = api.signup("client"), api.signup("tasker")
    skills(api, tasker, {"yard-work": 2400})
    soon = (utcnow() + timedelta(hours=6)).isoformat()
    late, early, working = priced(api, client, starts_at=soon), priced(api, client), priced(api, client, starts_at=soon)
    for task_id in (late, early, working):
        assert api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker)).status_code == 200
    api.client.post(f"/api/v1/tasks/{working}/start", headers=api.headers(tasker))

    fee = api.client.post(f"/api/v1/tasks/{late}/cancel", headers=api.headers(client)).json["cancellation_fee"]
    assert fee["total"] == fee["payout"] == 2400 and fee["billable_minutes"] == 60 and fee["platform"] == 0
    free = api.client.post(f"/api/v1/tasks/{early}/cancel", headers=api.headers(client)).json
    assert free["status"] == "cancelled" and free["cancellation_fee"] is None
    started = api.client.post(f"/api/v1/tasks/{working}/cancel", headers=api.headers(client))
    assert started.status_code == 409 and "in_progress" in started.json["message"]


def test_completion_rules(open_api):
    api = open_api
    client, tasker = api.signup("client"), api.signup("tasker")
    skills(api, tasker, {"yard-work": 2400})
    task_id = priced(api, client, estimated_minutes=120)
    api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker))
    early = api.client.post(
        f"/api/v1/tasks/{task_id}/complete", headers=api.headers(tasker), json={"minutes_worked": 30}
    )
    assert early.status_code == 409  # not started
    api.client.post(f"/api/v1/tasks/{task_id}/start", headers=api.headers(tasker))
    bad = api.client.post(f"/api/v1/tasks/{task_id}/complete", headers=api.headers(tasker), json={"minutes_worked": 0})
    assert bad.status_code == 422 and "minutes_worked" in bad.json["errors"]["json"]
    done = api.client.post(
        f"/api/v1/tasks/{task_id}/complete", headers=api.headers(tasker), json={"minutes_worked": 10}
    )
    final = done.json["final_quote"]
    # Ten minutes are billed as the rule's minimum hour: never below the floor.
    assert (
        final["billable_minutes"] == 60
        and final["payout"] >= 2400
        and final["total"] == final["payout"] + final["platform"]
    )


def test_levels_unlock_by_reputation_and_by_operator_verification(open_api):
    api = open_api
    client, tasker, operator = api.signup("client"), api.signup("tasker"), api.signup("operator")
    skills(api, tasker, {"yard-work": 2400, "mounting": 3800, "electrical": 6500})
    mounting, electrical = priced(api, client, category="mounting"), priced(api, client, category="electrical")
    assert feed_ids(api, tasker) == []

    for _ in range(5):  # five completed, five-star jobs in a general category
        task_id = priced(api, client)
        for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 60})):
            assert (
                api.client.post(f"/api/v1/tasks/{task_id}/{step}", headers=api.headers(tasker), json=body).status_code
                == 200
            )
        api.client.post(f"/api/v1/tasks/{task_id}/review", headers=api.headers(client), json={"rating": 5})
        # Double-blind: the client's stars count once the tasker's review is in too.
        api.client.post(f"/api/v1/tasks/{task_id}/review", headers=api.headers(tasker), json={"rating": 5})
    pipeline = Pipeline(api.platform, ["reviews", "reputation"])
    pipeline.drain()
    pipeline.close()
    rep = api.client.get(f"/api/v1/taskers/{tasker['id']}").json
    assert rep["tier"] == "trusted" and rep["levels"] == ["general", "skilled"] and rep["completed"] == 5
    assert feed_ids(api, tasker) == [mounting]

    refused = api.client.post(
        f"/api/v1/taskers/{tasker['id']}/licenses", headers=api.headers(operator), json={"category": "yard-work"}
    )
    assert refused.status_code == 422
    ok = api.client.post(
        f"/api/v1/taskers/{tasker['id']}/licenses",
        headers=api.headers(operator),
        json={"category": "electrical", "note": "licence #123 checked"},
    )
    assert ok.status_code == 201
    assert sorted(feed_ids(api, tasker)) == sorted([mounting, electrical])
    assert api.client.get(f"/api/v1/taskers/{client['id']}").status_code == 404  # not a tasker


def test_operators_hide_tips(open_api):
    api = open_api
    author, voter, operator = api.signup("tasker"), api.signup("tasker"), api.signup("operator")
    tip_id = api.client.post(
        "/api/v1/boards/moving-help/tips",
        headers=api.headers(author),
        json={"title": "Lift with legs", "body": "Always."},
    ).json["id"]
    api.client.post(f"/api/v1/tips/{tip_id}/votes", headers=api.headers(voter), json={"helpful": True})
    pipeline = Pipeline(api.platform, ["tips", "reputation"])
    pipeline.drain()
    assert api.client.get("/api/v1/boards/moving-help").json["total"] == 1
    assert api.client.get(f"/api/v1/taskers/{author['id']}").json["categories"][0]["tip_karma"] > 0

    missing = api.client.post(f"/api/v1/tips/{tip_id}/hide", headers=api.headers(operator), json={})
    assert missing.status_code == 422 and "reason" in missing.json["errors"]["json"]
    hidden = api.client.post(f"/api/v1/tips/{tip_id}/hide", headers=api.headers(operator), json={"reason": "advert"})
    assert hidden.status_code == 200 and hidden.json["hidden"] is True
    pipeline.drain()
    pipeline.close()
    assert api.client.get("/api/v1/boards/moving-help").json["total"] == 0
    assert api.client.get(f"/api/v1/taskers/{author['id']}").json["categories"][0]["tip_karma"] == 0
    late_vote = api.client.post(
        f"/api/v1/tips/{tip_id}/votes", headers=api.headers(api.signup("tasker")), json={"helpful": True}
    )
    assert late_vote.status_code == 404


def test_a_bad_event_on_the_new_topics_is_dead_lettered_with_its_reason(open_api):
    platform = open_api.platform
    with platform.uow() as uow:  # a vote for a tip no board has seen posted
        uow.emit(
            CloudEvent(
                type="tip.voted",
                subject="999",
                data={
                    "tip_id": 999,
                    "category": "yard-work",
                    "author_id": 1,
                    "voter_id": 2,
                    "helpful": True,
                    "at": utcnow(),
                },
            ),
            key="yard-work",
        )
        uow.commit()
    pipeline = Pipeline(platform, ["tips", "reputation"])
    pipeline.drain()
    pipeline.close()
    letters = list_dead_letters(platform.transport, "tips.activity")
    assert sorted(d.consumer for d in letters) == ["reputation", "tips"]
    assert all("never seen posted" in d.error for d in letters)


def test_a_task_cannot_be_started_days_before_it_starts_and_the_409_says_when(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW, start_early_s=2 * 3600))  # the default
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    client, tasker = api.signup("client"), api.signup("tasker")
    skills(api, tasker, {"yard-work": 2400})
    starts = (utcnow() + timedelta(days=11)).replace(microsecond=0)
    task_id = priced(api, client, starts_at=starts.isoformat())
    assert api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker)).status_code == 200
    early = api.client.post(f"/api/v1/tasks/{task_id}/start", headers=api.headers(tasker))
    assert early.status_code == 409
    chicago = ZoneInfo("America/Chicago")  # Springfield's clock: the message speaks its time
    local = starts.astimezone(chicago)
    assert f"starts at {local:%Y-%m-%d %H:%M} {local.tzname()}" in early.json["message"]
    assert "” can not be started yet: " in early.json["message"] and f"Task {task_id}" not in early.json["message"]
    assert f"from {(starts - timedelta(hours=2)).astimezone(chicago):%Y-%m-%d %H:%M}" in early.json["message"]
