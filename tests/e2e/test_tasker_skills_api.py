"""A tasker's skills over the API: rates per region, a whole replacement that says what it
replaced, and one skill added, changed or removed on its own."""

from __future__ import annotations

from tests.support import NO_WINDOW, ApiHelper, seeded


def put_all(api, who, regions, skills):
    return api.client.put(
        "/api/v1/taskers/me/skills", json={"regions": regions, "skills": skills}, headers=api.headers(who)
    )


def put_one(api, who, category, body):
    return api.client.put(f"/api/v1/taskers/me/skills/{category}", json=body, headers=api.headers(who))


def rates(view) -> dict:
    return {s["category"]: {r["region"]: r["rate"] for r in s["rates"]} for s in view["skills"]}


def test_rates_per_region_and_a_replacement_that_says_what_it_replaced(api):
    tasker = api.signup("tasker")
    refused = put_all(api, tasker, ["springfield", "seattle"], [{"category": "yard-work", "rate": 2600}])
    assert refused.status_code == 422
    (message,) = refused.json["errors"]["json"]["skills"]["0"]["rate"]
    assert "27.00 USD/h" in message and "Seattle, WA" in message and "cents" not in message
    body = [
        {"category": "yard-work", "rate": 2600, "region_rates": [{"region": "seattle", "rate": 2700}]},
        {"category": "moving-help", "rate": 2500, "region_rates": [{"region": "seattle", "rate": 2800}]},
    ]
    first = put_all(api, tasker, ["springfield", "seattle"], body)
    assert first.status_code == 200, first.json
    assert rates(first.json) == {
        "yard-work": {"springfield": 2600, "seattle": 2700},
        "moving-help": {"springfield": 2500, "seattle": 2800},
    }
    yard = next(s for s in first.json["skills"] if s["category"] == "yard-work")
    seattle = next(r for r in yard["rates"] if r["region"] == "seattle")
    assert (yard["rate"], yard["floor"], seattle["floor"], seattle["chosen"]) == (2600, 2400, 2700, True)
    assert first.json["changed"]["skills_added"] == ["moving-help", "yard-work"]

    replaced = put_all(api, tasker, ["springfield"], [{"category": "yard-work", "rate": 2600}])
    assert replaced.status_code == 200
    changed = replaced.json["changed"]
    assert (changed["skills_removed"], changed["regions_removed"]) == (["moving-help"], ["seattle"])
    assert "Removed Moving help." in changed["summary"] and "Removed the region Seattle, WA." in changed["summary"]
    assert {"category": "moving-help", "region": None, "from": 2500, "to": None, "lifted": False} in changed["rates"]
    assert rates(replaced.json) == {"yard-work": {"springfield": 2600}}
    again = put_all(api, tasker, ["springfield"], [{"category": "yard-work", "rate": 2600}])
    assert again.json["changed"]["summary"] == ["Nothing changed."]


def test_moving_help_below_seattles_floor_is_refused_in_seattle_only(api):
    tasker = api.signup("tasker")
    body = [{"category": "moving-help", "rate": 2500, "region_rates": [{"region": "seattle", "rate": 2600}]}]
    refused = put_all(api, tasker, ["springfield", "seattle"], body)
    assert refused.status_code == 422
    assert list(refused.json["errors"]["json"]["skills"]["0"]["region_rates"]) == ["seattle"]
    twice = [{"region": "seattle", "rate": 2700}, {"region": "seattle", "rate": 2800}]
    doubled = put_all(api, tasker, ["seattle"], [{"category": "yard-work", "rate": 2700, "region_rates": twice}])
    assert doubled.status_code == 422 and "once" in str(doubled.json["errors"])


def test_one_skill_added_changed_and_removed(api):
    tasker = api.signup("tasker")
    assert (
        put_all(api, tasker, ["springfield", "riverside"], [{"category": "yard-work", "rate": 2400}]).status_code == 200
    )
    added = put_one(api, tasker, "moving-help", {"rate": 2600, "region_rates": [{"region": "riverside", "rate": 2800}]})
    assert added.status_code == 200, added.json
    assert added.json["changed"]["summary"] == ["Added Moving help at 26.00 USD/h; in Riverside, 28.00 USD/h."]
    assert rates(added.json) == {
        "moving-help": {"riverside": 2800, "springfield": 2600},
        "yard-work": {"riverside": 2400, "springfield": 2400},
    }
    below = put_one(api, tasker, "moving-help", {"rate": 2000})
    assert below.status_code == 422 and "below the floor" in below.json["errors"]["json"]["rate"][0]
    unknown = put_one(api, tasker, "juggling", {"rate": 2400})
    assert unknown.status_code == 422 and "category" in unknown.json["errors"]["json"]
    elsewhere = put_one(api, tasker, "yard-work", {"rate": 2400, "region_rates": [{"region": "nyc", "rate": 3000}]})
    assert elsewhere.status_code == 422 and "nyc" in elsewhere.json["errors"]["json"]["region_rates"]
    removed = api.client.delete("/api/v1/taskers/me/skills/moving-help", headers=api.headers(tasker))
    assert removed.status_code == 200 and removed.json["changed"]["skills_removed"] == ["moving-help"]
    assert rates(removed.json) == {"yard-work": {"riverside": 2400, "springfield": 2400}}
    gone = api.client.delete("/api/v1/taskers/me/skills/moving-help", headers=api.headers(tasker))
    assert gone.status_code == 404


def test_a_client_has_no_skills_to_change(api):
    client = api.signup("client")
    assert put_one(api, client, "yard-work", {"rate": 2400}).status_code == 403
    assert api.client.delete("/api/v1/taskers/me/skills/yard-work", headers=api.headers(client)).status_code == 403
    assert api.client.put("/api/v1/taskers/me/skills/yard-work", json={"rate": 2400}).status_code == 401


def test_a_tasker_working_seattle_still_sees_springfield_tasks_at_its_rate(make_platform, sqlite_url):
    """The reproduction over HTTP: Seattle's floor of 27.00 no longer hides Springfield's 26.00 tasks."""
    from api import create_app

    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    client, tasker = api.signup("client"), api.signup("tasker")
    body = [{"category": "yard-work", "rate": 2600, "region_rates": [{"region": "seattle", "rate": 2700}]}]
    assert put_all(api, tasker, ["springfield", "seattle"], body).status_code == 200
    task_id = api.post_task(client, offered_rate=2600).json["id"]
    api.price_pending()
    api.book(client, task_id)
    feed = api.client.get("/api/v1/tasks?open=true", headers=api.headers(tasker)).json
    assert [t["id"] for t in feed["items"]] == [task_id]
