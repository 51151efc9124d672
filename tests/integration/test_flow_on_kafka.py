"""A posting over HTTP flows through real Kafka to the pricing stage and back, on PostgreSQL."""

from __future__ import annotations

import threading

from api import create_app
from tests.support import login, seeded, wait_until
from workers import run_in_threads, workers_for


def test_post_over_http_is_priced_through_kafka(postgres_url, kafka_server, make_platform):
    platform = make_platform(postgres_url, kafka_server)
    seeded(platform, demo_users=True)
    client = create_app({"TESTING": True}, platform=platform).test_client()
    assert {s.name for s in workers_for(platform)} == {
        "relay",
        "pricing",
        "tasker-rates",
        "reputation",
        "tips",
        "payments",
        "payment-calls",
        "network",
        "market",
        "reviews",
        "notifications",
        "mailer",
        "webhooks",
        "retention",
        "exports",
    }
    stop = threading.Event()
    threads = run_in_threads(platform, workers_for(platform), stop)
    try:
        auth = login(client, "client@demo.floorboard.test", "demo-client-password")
        ids = []
        for minutes in (30, 61, 95, 240):
            r = client.post(
                "/api/v1/tasks",
                headers=auth,
                json={
                    "category": "mounting",
                    "region": "nyc",
                    "title": "Hang shelves",
                    "estimated_minutes": minutes,
                    "starts_at": "2030-01-01T10:00:00Z",
                },
            )
            assert r.status_code == 202
            ids.append(r.json["id"])

        def all_priced():
            return all(client.get(f"/api/v1/tasks/{i}", headers=auth).json["status"] == "priced" for i in ids)

        wait_until(all_priced, timeout=60, message="the postings to be priced through Kafka")
        ready = client.get("/readyz").json
        assert ready["transport"] == "kafka" and ready["status"] == "ready"
        for task_id, minutes in zip(ids, (30, 61, 95, 240), strict=True):
            preview = client.post(
                "/api/v1/quotes", json={"category": "mounting", "region": "nyc", "estimated_minutes": minutes}
            ).json
            task = client.get(f"/api/v1/tasks/{task_id}", headers=auth).json
            assert {
                **task["quote"],
                "floor": task["floor"],
                "notes": [],
            } == preview  # the same price from the same floor
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
