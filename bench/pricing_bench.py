"""Issue 3's figures: engine quotes/s against a minimal inline formula on one core, and the
time from an operator's PUT to the first posting priced with the new floor, on Kafka."""

from __future__ import annotations

import statistics
import threading
import time

from pricing import FloorRule, quote

RULE = FloorRule(
    "c",
    "r",
    hourly_floor=2400,
    per_task_floor=1500,
    service_fee_bps=1500,
    trust_fee_bps=500,
    tasker_commission_bps=1000,
    version=1,
)


def inline_quote(hourly, per_task, min_b, inc, s_bps, t_bps, c_bps, minutes, offered):
    """The formula with nothing else: no validation, no dataclass, no commission cap helper."""
    rate = max(hourly, offered or 0)
    billable = max(min_b, -(-minutes // inc) * inc)
    subtotal = max(per_task, (2 * rate * billable + 60) // 120)
    service = (2 * subtotal * s_bps + 10_000) // 20_000
    trust = (2 * subtotal * t_bps + 10_000) // 20_000
    floor_pay = max(per_task, (2 * hourly * billable + 60) // 120)
    commission = min((2 * subtotal * c_bps + 10_000) // 20_000, subtotal - floor_pay)
    return subtotal + service + trust, subtotal - commission


def engine_ratio(n: int) -> dict:
    inputs = [(15 + i % 600, None if i % 3 else 2500 + i % 900) for i in range(n)]
    r = RULE
    start = time.perf_counter()
    for m, o in inputs:
        inline_quote(
            r.hourly_floor,
            r.per_task_floor,
            r.min_billable_minutes,
            r.billing_increment_minutes,
            r.service_fee_bps,
            r.trust_fee_bps,
            r.tasker_commission_bps,
            m,
            o,
        )
    inline = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for m, o in inputs:
        quote(r, m, o)
    engine = n / (time.perf_counter() - start)
    for m, o in inputs[:1000]:  # the two agree, or the comparison means nothing
        q = quote(r, m, o)
        assert (q.total, q.payout) == inline_quote(2400, 1500, 60, 15, 1500, 500, 1000, m, o)
    return {"engine_quotes_per_s": engine, "inline_quotes_per_s": inline, "overhead_ratio": inline / engine}


def propagation(platform, changes: int, progress) -> dict:
    """p50/p99 from the PUT returning to the first posting priced with the new version."""
    from api import create_app
    from cli.demo import seed_demo
    from tests.support import login
    from workers import run_in_threads, workers_for

    with platform.uow() as uow:
        seed_demo(uow, demo_users=True)
        uow.commit()
    # One client posts a task per floor change: well over the posting rate limit meant for people.
    client = create_app({"TESTING": True, "RATELIMIT_POSTING": "1000000 per minute"}, platform=platform).test_client()

    op = login(client, "operator@demo.floorboard.test", "demo-operator-password")
    me = login(client, "client@demo.floorboard.test", "demo-client-password")
    stop = threading.Event()
    threads = run_in_threads(platform, workers_for(platform), stop)
    latencies = []
    try:
        for i in range(changes):
            r = client.put(
                "/api/v1/floors/yard-work/springfield",
                headers=op,
                json={"reason": f"bench {i}", "hourly_floor": 2500 + i},
            )
            version = r.json["version"]
            put_done = time.perf_counter()
            task_id = client.post(
                "/api/v1/tasks",
                headers=me,
                json={
                    "category": "yard-work",
                    "region": "springfield",
                    "title": "bench",
                    "estimated_minutes": 60,
                    "starts_at": "2030-01-01T10:00:00Z",
                },
            ).json["id"]
            while True:
                task = client.get(f"/api/v1/tasks/{task_id}", headers=me).json
                if task["status"] == "priced":
                    break
                time.sleep(0.002)
            assert task["rule_version"] == version, "a posting after the change was priced with the old floor"
            latencies.append(time.perf_counter() - put_done)
            progress(1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    latencies.sort()
    return {
        "changes": changes,
        "p50_s": statistics.median(latencies),
        "p99_s": latencies[min(len(latencies) - 1, round(0.99 * len(latencies)) - 1)],
        "max_s": latencies[-1],
    }
