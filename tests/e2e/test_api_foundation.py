"""The foundation over HTTP: accounts, posting, pricing through the embedded log, errors as JSON,
and the operational endpoints."""

from __future__ import annotations

from sqlmodel import select

from marketplace.accounts.models import ApiToken
from marketplace.floors.models import Region
from marketplace.floors.versions import FloorChange, set_floor
from workers import registry


def test_signup_validation_and_duplicates(client):
    r = client.post("/api/v1/users", json={"email": "not-an-email", "password": "short", "role": "admin"})
    assert r.status_code == 422
    assert set(r.json["errors"]["json"]) == {"email", "password", "role"}
    ok = {"email": "Sam@Example.test", "password": "long enough password", "role": "client"}
    first = client.post("/api/v1/users", json=ok)
    assert first.status_code == 201
    # A second signup for the same email is answered exactly like the first: signup does not tell
    # anyone which emails have accounts. The account keeps its own password.
    r = client.post("/api/v1/users", json={**ok, "email": "sam@example.test", "password": "another long secret"})
    assert (r.status_code, r.json) == (first.status_code, first.json)
    assert (
        client.post(
            "/api/v1/auth/token", json={"email": "sam@example.test", "password": "another long secret"}
        ).status_code
        == 401
    )
    assert (
        client.post("/api/v1/auth/token", json={"email": "sam@example.test", "password": ok["password"]}).status_code
        == 201
    )
    r = client.post("/api/v1/users", json={**ok, "role": "operator"})
    assert r.status_code == 422 and "CLI" in r.json["errors"]["json"]["role"][0]


def test_tokens_are_issued_checked_and_revoked(client, api, platform):
    assert (
        client.post("/api/v1/auth/token", json={"email": "nobody@example.test", "password": "whatever"}).status_code
        == 401
    )
    me = api.signup("client")
    assert client.post("/api/v1/auth/token", json={"email": me["email"], "password": "wrong"}).status_code == 401
    assert api.post_task(me).status_code == 202
    # Stored hashed: the token itself is nowhere in the database.
    token = me["Authorization"].split()[1]
    with platform.uow() as uow:
        stored = list(uow.session.exec(select(ApiToken.token_hash)))
    assert token not in stored and all(len(h) == 64 for h in stored)
    assert client.delete("/api/v1/auth/token", headers=api.headers(me)).status_code == 204
    assert api.post_task(me).status_code == 401
    r = client.get("/api/v1/tasks/1", headers={"Authorization": "Bearer fb_forged"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_posted_task_is_priced_with_the_same_engine_as_the_preview(client, api):
    me = api.signup("client")
    preview = client.post(
        "/api/v1/quotes", json={"category": "yard-work", "region": "springfield", "estimated_minutes": 95}
    )
    assert preview.status_code == 200
    r = api.post_task(me)
    assert r.status_code == 202
    assert r.json["status"] == "posted" and r.json["quote"] is None
    task_id = r.json["id"]
    api.price_pending()
    r = client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(me))
    assert r.status_code == 200
    assert r.json["status"] == "priced"
    assert {**r.json["quote"], "floor": r.json["floor"], "notes": []} == preview.json  # the same price, same floor
    assert preview.json["floor"]["page"] == "/prices/springfield#yard-work"
    assert client.get(preview.json["floor"]["page"]).status_code == 200
    assert r.json["rule_version"] == preview.json["rule_version"] == 1
    q = r.json["quote"]
    assert q["total"] == q["payout"] + q["platform"]


def test_pricing_uses_the_rule_in_force_at_posting_time(client, api, platform):
    me = api.signup("client")
    before = api.post_task(me).json["id"]
    with platform.uow() as uow:
        set_floor(uow, FloorChange("yard-work", "springfield", "Cost of living", {"hourly_floor": 3000}), None, "test")
        uow.commit()
    after = api.post_task(me).json["id"]
    api.price_pending()  # the stage sees both postings only after the change
    old = client.get(f"/api/v1/tasks/{before}", headers=api.headers(me)).json
    new = client.get(f"/api/v1/tasks/{after}", headers=api.headers(me)).json
    assert (old["rule_version"], old["quote"]["rate"]) == (1, 2400)
    assert (new["rule_version"], new["quote"]["rate"]) == (2, 3000)


def test_a_task_with_no_floor_is_rejected_with_its_reason(client, api, platform):
    with platform.uow() as uow:
        uow.session.add(Region(slug="atlantis", name="Atlantis"))
        uow.commit()
    me = api.signup("client")
    task_id = api.post_task(me, region="atlantis").json["id"]
    api.price_pending()
    r = client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(me)).json
    assert r["status"] == "rejected" and "No fee floor" in r["rejection_reason"] and r["quote"] is None


def test_posting_checks_role_input_and_ownership(client, api):
    client_a, client_b, tasker = api.signup("client"), api.signup("client"), api.signup("tasker")
    assert api.post_task(None).status_code == 401
    assert api.post_task(tasker).status_code == 403
    r = api.post_task(client_a, category="underwater-welding", starts_at="2001-01-01T00:00:00Z")
    assert r.status_code == 422 and set(r.json["errors"]["json"]) == {"category", "starts_at"}
    r = api.post_task(client_a, estimated_minutes=0, starts_at="tomorrow", extra="field")
    assert r.status_code == 422
    assert set(r.json["errors"]["json"]) == {"estimated_minutes", "starts_at", "extra"}
    r = client.post(
        "/api/v1/tasks", data="{not json", headers={**api.headers(client_a), "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.is_json
    task_id = api.post_task(client_a).json["id"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(client_b)).status_code == 404
    assert client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(client_a)).status_code == 200
    assert client.get("/api/v1/tasks/999999", headers=api.headers(client_a)).status_code == 404


def test_catalog_and_quote_errors(client):
    cats = client.get("/api/v1/categories").json
    assert {c["slug"] for c in cats} >= {"yard-work", "mounting", "electrical"}
    r = client.post(
        "/api/v1/quotes",
        json={"category": "yard-work", "region": "springfield", "estimated_minutes": 60, "offered_rate": -5},
    )
    assert r.status_code == 422 and "offered_rate" in r.json["errors"]["json"]


def test_operational_endpoints(client, api):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": "ok", "transport": "ok"}
    api.post_task(api.signup("client"))
    assert client.get("/metrics").status_code == 404  # not on the site's port without a token (docs/metrics.md)
    client.application.config["METRICS_TOKEN"] = "a-token-for-this-test-only"
    metrics = client.get("/metrics", headers={"Authorization": "Bearer a-token-for-this-test-only"}).get_data(
        as_text=True
    )
    assert 'floorboard_consumer_lag{group="pricing",topic="tasks.posted"} 1.0' in metrics
    assert "floorboard_http_requests_total" in metrics
    for spec_ in registry().values():  # every consumer group a worker runs reports its lag
        if spec_.consumer_group:
            assert f'floorboard_consumer_lag{{group="{spec_.name}"' in metrics, spec_.name
    spec = client.get("/api/openapi.json").json
    assert {"/api/v1/tasks", "/api/v1/users", "/api/v1/auth/token", "/api/v1/quotes"} <= set(spec["paths"])
    operations = [
        op for item in spec["paths"].values() for verb, op in item.items() if verb in {"get", "post", "put", "delete"}
    ]
    assert all(op.get("summary") for op in operations)  # the docs read as a guide: every operation says what it does
    bodies = [op["requestBody"]["content"]["application/json"] for op in operations if "requestBody" in op]
    assert bodies and all("example" in body for body in bodies)
    docs = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and asset.mimetype == "text/javascript"
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.is_json


def test_the_shipped_alert_rules_name_only_metrics_that_metrics_exports(client, api):
    import re
    from pathlib import Path

    import yaml

    rules = yaml.safe_load((Path(__file__).parents[2] / "deploy" / "prometheus-alerts.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert alerts and all({"alert", "expr", "labels", "annotations"} <= set(rule) for rule in alerts)
    assert all(rule["labels"]["severity"] in {"page", "ticket"} for rule in alerts)
    api.post_task(api.signup("client"))
    client.application.config["METRICS_PORT"] = 9464  # as `floorboard serve --metrics-port 9464` serves it
    exported = client.get("/metrics", environ_overrides={"SERVER_PORT": "9464"}).get_data(as_text=True)
    from prometheus_client import REGISTRY, generate_latest

    import workers

    workers.registry()  # every worker module, and so every counter a worker serves on --metrics-port
    served_by_workers = generate_latest(REGISTRY).decode()
    named = {name for rule in alerts for name in re.findall(r"floorboard_[a-z_]+", rule["expr"])}
    assert named >= {"floorboard_postings_overdue", "floorboard_consumer_lag", "floorboard_dead_letters"}
    assert named >= {"floorboard_events_dead_lettered_total", "floorboard_consumer_outage_retries_total"}
    for name in named:
        assert f"# TYPE {name} " in exported or f"# TYPE {name} " in served_by_workers, name
