"""Floor changes end to end on Kafka and PostgreSQL, and a pricing stage rebuilt from the
compacted pricing.floors topic after a restart with an empty memory."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from kafka.admin import ConfigResource

from api import create_app
from marketplace.clock import utcnow
from marketplace.floors.table import FloorFeed
from tests.support import login, relay_all, seeded, wait_until
from workers import run_in_threads, workers_for


def test_floor_changes_reach_pricing_through_kafka(postgres_url, kafka_server, make_platform):
    platform = make_platform(postgres_url, kafka_server)
    seeded(platform, demo_users=True)
    client = create_app({"TESTING": True}, platform=platform).test_client()
    op = login(client, "operator@demo.floorboard.test", "demo-operator-password")
    me = login(client, "client@demo.floorboard.test", "demo-client-password")
    stop = threading.Event()
    threads = run_in_threads(platform, workers_for(platform), stop)

    def post():
        r = client.post(
            "/api/v1/tasks",
            headers=me,
            json={
                "category": "yard-work",
                "region": "springfield",
                "title": "Mow",
                "estimated_minutes": 60,
                "starts_at": "2030-01-01T10:00:00Z",
            },
        )
        assert r.status_code == 202
        return r.json["id"]

    def priced(task_id):
        task = client.get(f"/api/v1/tasks/{task_id}", headers=me).json
        return task if task["status"] == "priced" else None

    try:
        before = post()
        wait_until(lambda: priced(before), timeout=60, message="the first posting to be priced")
        r = client.put(
            "/api/v1/floors/yard-work/springfield", headers=op, json={"reason": "Season starts", "hourly_floor": 3100}
        )
        assert r.status_code == 201
        after = post()
        wait_until(lambda: priced(after), timeout=60, message="the posting after the raise to be priced")
        assert (priced(before)["rule_version"], priced(before)["quote"]["rate"]) == (1, 2400)
        assert (priced(after)["rule_version"], priced(after)["quote"]["rate"]) == (2, 3100)

        when = utcnow() + timedelta(seconds=4)
        r = client.put(
            "/api/v1/floors/yard-work/springfield",
            headers=op,
            json={"reason": "Scheduled", "hourly_floor": 3500, "effective_from": when.isoformat()},
        )
        assert r.status_code == 201 and r.json["version"] == 3
        early = post()
        wait_until(lambda: priced(early), timeout=60, message="the early posting to be priced")
        assert priced(early)["rule_version"] == 2, "a scheduled change applied before its time"
        time.sleep(max(0.0, (when - utcnow()).total_seconds()) + 0.2)
        late = post()  # no one acts: the change is simply in force now
        wait_until(lambda: priced(late), timeout=60, message="the late posting to be priced")
        assert (priced(late)["rule_version"], priced(late)["quote"]["rate"]) == (3, 3500)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)


def test_a_restarted_pricing_stage_rebuilds_its_table_from_the_compacted_topic(
    postgres_url, kafka_server, make_platform
):
    platform = make_platform(postgres_url, kafka_server)
    seeded(platform, demo_users=False)
    relay_all(platform)
    configs = platform.transport.admin.describe_configs(
        [ConfigResource("topic", platform.settings.topic_prefix + "pricing.floors")]
    )
    assert "'cleanup.policy'" in repr(configs) and "'compact'" in repr(configs)

    live = FloorFeed(platform.transport)
    live.catch_up()
    restarted = FloorFeed(platform.transport)  # a new process: empty memory, reads from the start
    restarted.catch_up()
    try:
        assert len(live.table) == len(restarted.table) == 20  # 5 categories x 4 regions
        now = utcnow()
        for category, region in live.table.keys():
            assert live.table.rule_in_force(category, region, now) == restarted.table.rule_in_force(
                category, region, now
            )
    finally:
        live.close()
        restarted.close()
