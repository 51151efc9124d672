"""Operators tune floors over the API: versions, audit history, refusals, simulation, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.clock import utcnow

OPERATOR_ENDPOINTS = [
    ("put", "/api/v1/floors/yard-work/springfield", {"reason": "x", "hourly_floor": 2600}),
    ("post", "/api/v1/floors/simulate", {"changes": [{"hourly_floor": 3000}]}),
]


@pytest.mark.parametrize("method, url, body", OPERATOR_ENDPOINTS)
def test_operator_endpoints_refuse_everyone_else(client, api, method, url, body):
    call = getattr(client, method)
    assert call(url, json=body).status_code == 401
    for role in ("client", "tasker"):
        r = call(url, json=body, headers=api.headers(api.signup(role)))
        assert r.status_code == 403, (role, r.json)
    assert call(url, json=body, headers=api.headers(api.signup("operator"))).status_code in (200, 201)


def history(client, op, **params):
    r = client.get("/api/v1/floors/history", query_string=params, headers=api_headers(op))
    assert r.status_code == 200, r.json
    return r.json


def api_headers(who):
    return {"Authorization": who["Authorization"]}


def test_a_change_is_a_new_audited_version(client, api):
    op = api.signup("operator")
    r = client.put(
        "/api/v1/floors/yard-work/springfield",
        headers=api_headers(op),
        json={"reason": "Rents went up", "hourly_floor": 2600, "trust_fee_bps": 600},
    )
    assert r.status_code == 201, r.json
    assert (r.json["version"], r.json["hourly_floor"], r.json["per_task_floor"]) == (2, 2600, 1500)
    floors = client.get("/api/v1/floors?region=springfield", headers=api_headers(op)).json
    assert next(f for f in floors if f["category"] == "yard-work")["version"] == 2
    entry = history(client, op, category="yard-work", region="springfield")[0]
    assert entry["version"] == 2 and entry["author"] == op["email"] and entry["reason"] == "Rents went up"
    assert entry["changes"] == {"hourly_floor": {"old": 2400, "new": 2600}, "trust_fee_bps": {"old": 500, "new": 600}}
    preview = client.post(
        "/api/v1/quotes", json={"category": "yard-work", "region": "springfield", "estimated_minutes": 60}
    ).json
    assert (preview["rate"], preview["rule_version"]) == (2600, 2)


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("yard-work/seattle", {"reason": "cut", "hourly_floor": 2699}, "hourly_floor"),  # under $0.45/min
        ("yard-work/seattle", {"reason": "cut", "per_task_floor": 519}, "per_task_floor"),  # under $5.20
        ("yard-work/nyc", {"reason": "cut", "hourly_floor": 2212}, "hourly_floor"),  # under $22.13/h
        ("yard-work/springfield", {"reason": "oops", "hourly_floor": -1}, "hourly_floor"),
        ("yard-work/springfield", {"reason": "oops", "service_fee_bps": 10_001}, "service_fee_bps"),
        ("basket-weaving/springfield", {"reason": "new", "hourly_floor": 3000}, "category"),
        ("yard-work/gotham", {"reason": "new", "hourly_floor": 3000}, "region"),
        ("yard-work/springfield", {"hourly_floor": 3000}, "reason"),
        ("yard-work/springfield", {"reason": "  ", "hourly_floor": 3000}, "reason"),
        (
            "yard-work/springfield",
            {"reason": "late", "hourly_floor": 3000, "effective_from": "2020-01-01T00:00:00Z"},
            "effective_from",
        ),
        (
            "yard-work/springfield",
            {"reason": "tz", "hourly_floor": 3000, "effective_from": "2031-01-01T00:00:00"},
            "effective_from",
        ),
        ("yard-work/springfield", {"reason": "float", "hourly_floor": 25.5}, "hourly_floor"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(client, api, path, body, field):
    op = api.signup("operator")
    before = history(client, op)
    r = client.put(f"/api/v1/floors/{path}", json=body, headers=api_headers(op))
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]["json"], r.json
    assert history(client, op) == before


def test_a_scheduled_change_waits_for_its_time(client, api):
    op = api.signup("operator")
    when = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    r = client.put(
        "/api/v1/floors/moving-help/riverside",
        headers=api_headers(op),
        json={"reason": "Announced for next week", "hourly_floor": 4000, "effective_from": when.isoformat()},
    )
    assert r.status_code == 201 and r.json["version"] == 2
    floors = client.get("/api/v1/floors?region=riverside", headers=api_headers(op)).json
    assert next(f for f in floors if f["category"] == "moving-help")["version"] == 1  # not yet


def test_simulation_replays_recent_postings_old_against_new(client, api):
    op, me = api.signup("operator"), api.signup("client")
    for minutes in (30, 60, 95):
        api.post_task(me, estimated_minutes=minutes)
    api.post_task(me, category="mounting", estimated_minutes=60)
    api.price_pending()
    r = client.post(
        "/api/v1/floors/simulate",
        headers=api_headers(op),
        json={"days": 7, "changes": [{"category": "yard-work", "region": "springfield", "hourly_floor": 3000}]},
    )
    assert r.status_code == 200, r.json
    assert r.json["postings"] == 3  # only the postings the change reaches: yard work in Springfield
    rows = {row["category"]: row for row in r.json["categories"]}
    assert set(rows) == {"yard-work"}
    yard = rows["yard-work"]
    assert (yard["postings"], yard["affected"]) == (3, 3)
    # 30 and 60 minutes bill one hour, 95 bills 105 minutes: subtotal +600, +600, +1050.
    assert yard["payout_delta_total"] == 600 + 600 + 1050
    # Totals: one hour 2880 -> 3600 (twice); 105 minutes 5040 -> 5250 + 788 + 263 = 6301.
    assert yard["client_delta_total"] == 720 + 720 + 1261
    assert yard["client_delta_avg"] == round(2701 / 3) and yard["payout_delta_avg"] == 750
    everywhere = client.post(  # a change that names no category reaches every category in its region
        "/api/v1/floors/simulate",
        headers=api_headers(op),
        json={"days": 7, "changes": [{"region": "springfield", "hourly_floor": 3000}]},
    )
    assert everywhere.status_code == 200 and everywhere.json["postings"] == 4
    reached = {row["category"]: row["postings"] for row in everywhere.json["categories"]}
    assert reached == {"mounting": 1, "yard-work": 3}
    bad = client.post(
        "/api/v1/floors/simulate",
        headers=api_headers(op),
        json={"days": 0, "changes": [{"region": "seattle", "hourly_floor": 100}]},
    )
    assert bad.status_code == 422 and "days" in bad.json["errors"]["json"]
    bad = client.post(
        "/api/v1/floors/simulate",
        headers=api_headers(op),
        json={"changes": [{"region": "seattle", "hourly_floor": 100}]},
    )
    assert bad.status_code == 422 and "hourly_floor" in bad.json["errors"]["json"]


def test_a_floor_past_three_times_the_current_needs_confirm(client, api):
    op = api.headers(api.signup("operator"))
    url = "/api/v1/floors/yard-work/springfield"
    r = client.put(url, json={"hourly_floor": 500_000, "reason": "typo"}, headers=op)
    assert r.status_code == 422 and "confirm" in r.json["errors"]["json"]["hourly_floor"][0]
    r = client.put(url, json={"hourly_floor": 100_000_001, "reason": "typo", "confirm": True}, headers=op)
    assert r.status_code == 422 and "hourly_floor" in r.json["errors"]["json"]
    r = client.put(url, json={"hourly_floor": 500_000, "reason": "meant it", "confirm": True}, headers=op)
    assert r.status_code == 201 and r.json["hourly_floor"] == 500_000


def test_everyone_reads_the_published_floors_and_history_without_authors_or_reasons(client, api):
    op = api.signup("operator")
    later = (utcnow() + timedelta(days=40)).replace(microsecond=0)
    scheduled = {"reason": "internal: margin review", "hourly_floor": 2600, "effective_from": later.isoformat()}
    assert client.put("/api/v1/floors/yard-work/nyc", json=scheduled, headers=api_headers(op)).status_code == 201
    for who in (None, api.signup("client"), api.signup("tasker")):
        headers = api_headers(who) if who else {}
        floors = client.get("/api/v1/floors?region=nyc", headers=headers)
        assert floors.status_code == 200
        yard = next(f for f in floors.json if f["category"] == "yard-work")
        assert yard["category_name"] == "Yard work" and yard["region_name"] and yard["currency"] == "USD"
        assert yard["hourly_floor"] == 2400 and yard["legal_minimum"]["per_hour"] == 2213
        [coming] = yard["scheduled"]
        assert coming["hourly_floor"] == 2600 and coming["effective_from"].startswith(later.date().isoformat())
        assert (
            coming["summary"]
            == f"Yard work in New York City, NY: hourly floor 24.00 USD/h → 26.00 USD/h from {later:%Y-%m-%d}"
        )
        body = floors.get_data(as_text=True)
        assert "author" not in body and "internal: margin review" not in body and "@" not in body
        entries = client.get("/api/v1/floors/history?region=nyc", headers=headers).json
        assert entries[0]["summary"] == coming["summary"] and "author" not in entries[0] and "reason" not in entries[0]
    mine = client.get("/api/v1/floors?region=nyc", headers=api_headers(op)).json
    yard = next(f for f in mine if f["category"] == "yard-work")
    assert yard["scheduled"][0]["reason"] == "internal: margin review" and yard["scheduled"][0]["author"] == op["email"]
    assert client.get("/api/v1/floors?region=atlantis").status_code == 404


def test_an_operator_may_write_the_public_summary(client, api):
    op = api.signup("operator")
    change = {"reason": "typo fix", "summary": "Yard work in Springfield now pays 26.00 an hour", "hourly_floor": 2600}
    assert client.put("/api/v1/floors/yard-work/springfield", json=change, headers=api_headers(op)).status_code == 201
    floors = client.get("/api/v1/floors?region=springfield").json
    yard = next(f for f in floors if f["category"] == "yard-work")
    assert yard["summary"] == "Yard work in Springfield now pays 26.00 an hour"


def test_the_public_prices_page_shows_each_floor_its_next_change_and_a_chart(client, api):
    op = api.signup("operator")
    later = (utcnow() + timedelta(days=40)).replace(microsecond=0)
    change = {"reason": "internal", "hourly_floor": 2600, "effective_from": later.isoformat()}
    assert client.put("/api/v1/floors/yard-work/nyc", json=change, headers=api_headers(op)).status_code == 201
    page = client.get("/prices/nyc")  # anonymous
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "How prices work in New York City" in html
    assert "Yard work" in html and "Furniture assembly" in html and ">yard-work<" not in html  # names, not slugs
    assert "22.13 USD an hour" in html  # the legal minimum the floors respect
    assert f"26.00 USD/h from {later:%Y-%m-%d}" in html  # the next scheduled change
    legend = html.split('class="legend"')[1].split("</ul>")[0]
    for name in ("Yard work", "Moving help", "Furniture assembly", "Electrical repair", "Mounting and lighting"):
        assert name in legend  # every category in the legend...
    wide = html.split('class="wide"')[1].split("</svg>")[0]  # the same chart is drawn again for phones
    assert 2 <= wide.count("<polyline") <= 5  # ...and those whose floors are equal all along share a line
    assert html.count("<polyline") == 2 * wide.count("<polyline")
    assert "internal" not in html and op["email"] not in html
    assert client.get("/prices").status_code == 200
    assert client.get("/prices/atlantis").status_code == 404
    for hostile in ("/prices/%00", "/prices/%ED%A0%80", "/prices/" + "a" * 5000):
        assert client.get(hostile, headers={"Accept": "text/html"}).status_code == 404
