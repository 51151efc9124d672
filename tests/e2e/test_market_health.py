"""Market health end to end: tasks posted, priced, booked, accepted and completed over HTTP flow
through the `market` worker; a floor change follows; the operator reads the day's figures from the
API, the console's charts (the change marked, its public summary on the mark), the before/after
panel ("too few tasks" under the threshold), the CSV, and /metrics; `floorboard replay market`
rebuilds it equal to live; clients and taskers are refused; bad dates are 422 with field errors."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from api import create_app
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.floors.zones import local_day, zone
from marketplace.market.models import PROJECTION_TABLES
from tests.support import NO_WINDOW, ApiHelper, Pipeline, csrf, enrol_two_factor, pass_two_factor, seeded
from workers.replay import replay

PASSWORD = "a long operator password"
SUMMARY = "Yard work rises to $26 an hour for the autumn rush"


@pytest.fixture(params=["embedded+sqlite", "kafka+postgres"])
def marketplace(request, make_platform):
    transport, database = request.param.split("+")
    url = request.getfixturevalue(f"{database}_url")
    kafka = request.getfixturevalue("kafka_server") if transport == "kafka" else None
    platform = make_platform(url, kafka, priority_window=NO_WINDOW)
    seeded(platform, demo_users=False)
    app = create_app({"TESTING": True}, platform=platform)
    pipeline = Pipeline(platform, ["pricing", "payments", "market"])
    api = ApiHelper(app.test_client(), platform)
    client, tasker, operator = api.signup("client"), api.signup("tasker"), api.signup("operator")
    ok = api.client.put(
        "/api/v1/taskers/me/skills",
        headers=api.headers(tasker),
        json={"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]},
    )
    assert ok.status_code == 200, ok.json
    ids = []
    for _ in range(2):
        posted = api.post_task(client, estimated_minutes=60)
        assert posted.status_code == 202, posted.json
        ids.append(posted.json["id"])
    pipeline.drain()
    for task_id in ids:
        api.book(client, task_id)
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 60})):
        r = api.client.post(f"/api/v1/tasks/{ids[0]}/{step}", headers=api.headers(tasker), json=body)
        assert r.status_code == 200, (step, r.json)
    changed = api.client.put(
        "/api/v1/floors/yard-work/springfield",
        headers=api.headers(operator),
        json={"reason": "autumn", "summary": SUMMARY, "hourly_floor": 2600},
    )
    assert changed.status_code == 201, changed.json
    pipeline.drain()
    yield api, pipeline, {"client": client, "tasker": tasker, "operator": operator, "tasks": ids}
    pipeline.close()


def _today() -> str:
    return local_day(utcnow(), zone("America/Chicago")).isoformat()  # Springfield's zone


def test_the_operator_reads_the_days_figures_and_the_floor_change(marketplace):
    api, _, who = marketplace
    r = api.client.get(
        "/api/v1/market/series?category=yard-work&region=springfield", headers=api.headers(who["operator"])
    )
    assert r.status_code == 200, r.json
    assert r.json["timezone"] == "America/Chicago" and len(r.json["days"]) == 90
    today = r.json["days"][-1]
    assert today["day"] == _today()
    assert (today["priced"], today["accepted"], today["at_floor"], today["completed"]) == (2, 1, 2, 1)
    assert today["fill_rate"] == 0.5 and today["minutes_worked"] == 60
    assert today["effective_pay_per_hour"] == today["payout"] > 0
    assert today["hourly_floor"] == 2600 and today["accept_p50_s"] is not None
    assert all(d["priced"] == 0 for d in r.json["days"][:-1])

    changes = api.client.get(
        "/api/v1/market/floor-changes?category=yard-work&region=springfield", headers=api.headers(who["operator"])
    )
    assert changes.status_code == 200, changes.json
    [change] = changes.json
    assert (change["version"], change["previous_hourly_floor"], change["hourly_floor"]) == (2, 2400, 2600)
    assert change["summary"] == SUMMARY and change["day"] == _today()
    # Both tasks were priced under version 1, earlier the same day: the change's "before", not its
    # "after" (the sides split at the moment the change took effect, not at its day).
    before, after = change["comparison"]["before"], change["comparison"]["after"]
    assert (before["priced"], before["accepted"], before["completed"]) == (2, 1, 1)
    assert (after["priced"], after["accepted"], after["completed"]) == (0, 0, 0)
    assert change["comparison"]["fill_rate"] == {"change": None, "basis": "priced", "too_few_tasks": True}


def test_only_operators_read_it_and_bad_dates_are_field_errors(marketplace):
    api, _, who = marketplace
    url = "/api/v1/market/series?category=yard-work&region=springfield"
    for persona in ("client", "tasker"):
        assert api.client.get(url, headers=api.headers(who[persona])).status_code == 403
    assert api.client.get(url).status_code == 401
    op = api.headers(who["operator"])
    for query, field in (
        ("&from=2026-12-01&to=2026-11-01", "to"),
        ("&from=9999-01-01", "from"),
        ("&to=2026-02-30", "to"),
        ("&from=2020-01-01&to=2026-01-01", "from"),
    ):
        r = api.client.get(url + query, headers=op)
        assert r.status_code == 422 and field in str(r.json), (query, r.json)
    assert api.client.get("/api/v1/market/series?category=yard-work&region=%ED%A0%80", headers=op).status_code == 422
    missing = api.client.get("/api/v1/market/series?category=yard-work&region=atlantis", headers=op)
    assert missing.status_code == 404 and "No region" in str(missing.json["errors"])


def test_the_console_charts_it_with_the_change_marked_and_exports_csv(marketplace):
    api, _, _ = marketplace
    with api.platform.uow() as uow:
        create_user(uow.session, "ops@example.test", PASSWORD, "operator")
        uow.commit()
    enrol_two_factor(api.platform, "ops@example.test")  # operators must have it
    browser = api.client.application.test_client()
    browser.application.config["WTF_CSRF_ENABLED"] = True
    token = csrf(browser.get("/login").get_data(as_text=True))
    signed = browser.post("/login", data={"email": "ops@example.test", "password": PASSWORD, "csrf_token": token})
    assert pass_two_factor(browser, signed).status_code == 302
    page = browser.get("/console/market?category=yard-work&region=springfield")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('data-marker="v2"') == 6  # on every chart
    assert f"Floor change v2: {SUMMARY}" in html and 'data-floor-change="2"' in html
    assert 'data-too-few="fill_rate"' in html and "(1 of 2 priced)" in html
    assert "<script" not in html.split("<main")[-1]
    export = browser.get("/console/market.csv?category=yard-work&region=springfield")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    # By default the days with data: here only today (the floors' first version was made today too).
    assert len(rows) == 1 and rows[-1]["day"] == _today() and rows[-1]["priced"] == "2"
    assert rows[-1]["fill_rate"] == "0.5" and rows[-1]["hourly_floor"] == "2600"
    bad = browser.get("/console/market?category=yard-work&region=springfield&first=2026-13-01")
    assert bad.status_code == 422
    browser.application.config["WTF_CSRF_ENABLED"] = False


def test_metrics_and_replay(marketplace):
    api, _, _ = marketplace
    api.client.application.config["METRICS_PORT"] = 9464  # the metrics port (docs/metrics.md)
    metrics = api.client.get("/metrics", environ_overrides={"SERVER_PORT": "9464"}).get_data(as_text=True)
    assert 'floorboard_market_fill_rate{category="yard-work",region="springfield"} 0.5' in metrics
    assert 'floorboard_market_fill_rate_low{category="yard-work",region="springfield"} 0.0' in metrics
    assert "floorboard_market_fill_rate_threshold 0.5" in metrics

    def snapshot():
        with api.platform.uow() as uow:
            return [
                sorted(tuple(r.model_dump().values()) for r in uow.session.exec(select(m))) for m in PROJECTION_TABLES
            ]

    live = snapshot()
    assert live[0]  # market_days has rows
    result = replay(api.platform, "market", chunk=3)
    assert result.skipped == 0
    assert snapshot() == live
