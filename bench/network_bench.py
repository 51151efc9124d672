"""The feed with network context: `GET /api/v1/tasks?open=true` for a tasker with 200 connections
(each page says, per task, how many of them completed work for its client) against the same feed
for a tasker with none, over 10,000 open tasks on PostgreSQL, in one run. And the feed with each
task's client record (as every tasker's feed has it) against the plain feed, the same tasker's
pages with the records left out.

The two taskers have the same skills, regions and rate, so they see the same tasks; only the
network differs. The requests go through the Flask app in this process (no HTTP server: the figure
is what the network context costs the feed, not what gunicorn costs), in alternating rounds so
the machine's noise hits both alike; the figure is the ratio of their medians.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from sqlalchemy import insert

from bench.replay_bench import QUOTE  # a valid posted quote, whatever its figures
from marketplace.accounts.models import User
from marketplace.accounts.tokens import issue_token
from marketplace.clock import utcnow
from marketplace.network.models import Connection
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.models import Task, TaskQuote

OPEN_TASKS = 10_000
CONNECTIONS = 200
CLIENTS = 500
PAGE_SIZE = 50


def _users(session, role: str, n: int, prefix: str) -> list[int]:
    rows = [
        {"email": f"{prefix}{i}@bench.test", "password_hash": "-", "role": role, "display_name": f"{prefix} {i}"}
        for i in range(n)
    ]
    session.connection().execute(insert(User.__table__), rows)  # type: ignore[attr-defined]
    return list(
        session.exec(User.__table__.select().where(User.__table__.c.email.like(f"{prefix}%@bench.test"))).scalars()
    )  # type: ignore[attr-defined]


def build(platform, advance=lambda k: None) -> dict:
    """10,000 open tasks from 500 clients; 200 peers connected to `social`, each of whom completed
    a task for some of those clients; `loner`, with the same skills and no connections."""
    now = utcnow()
    with platform.uow() as uow:
        s = uow.session
        clients = _users(s, "client", CLIENTS, "client")
        peers = _users(s, "tasker", CONNECTIONS, "peer")
        social = User(email="social@bench.test", password_hash="-", role="tasker", display_name="Social")
        loner = User(email="loner@bench.test", password_hash="-", role="tasker", display_name="Loner")
        s.add_all([social, loner])
        s.flush()
        for tasker in (social, loner):
            set_skills(uow, tasker.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        s.connection().execute(
            insert(Connection.__table__),  # type: ignore[attr-defined]
            [
                {
                    "low_id": min(social.id, p),
                    "high_id": max(social.id, p),
                    "requested_by": p,
                    "status": "accepted",
                    "requested_at": now,
                    "accepted_at": now,
                }
                for p in peers
            ],
        )
        tokens = {"social": issue_token(s, social), "loner": issue_token(s, loner)}
        uow.commit()
    task_rows, done_rows = [], []
    for i in range(OPEN_TASKS):
        task_rows.append(
            {
                "client_id": clients[i % CLIENTS],
                "category": "yard-work",
                "region": "springfield",
                "title": f"task {i}",
                "description": "",
                "area": "",
                "address": "",
                "access_notes": "",
                "estimated_minutes": 60,
                "starts_at": now + timedelta(days=2, minutes=i),
                "status": "priced",
                "posted_at": now - timedelta(hours=1),
                "priced_at": now - timedelta(hours=1),
                "rule_version": 1,
                "payment_status": "authorized",
                "handoffs_allowed": True,
            }
        )
    for n, peer in enumerate(peers):  # each peer worked for 5 clients: a quarter of the clients are known
        for k in range(5):
            done_rows.append(
                {
                    **task_rows[0],
                    "client_id": clients[(n * 5 + k) % (CLIENTS // 4) * 4],
                    "title": "done",
                    "status": "completed",
                    "tasker_id": peer,
                    "starts_at": now - timedelta(days=10),
                    "payment_status": "captured",
                }
            )
    with platform.uow() as uow:
        s = uow.session
        table = Task.__table__  # type: ignore[attr-defined]
        for start in range(0, len(task_rows), 1000):
            ids = s.connection().execute(insert(table).returning(table.c.id), task_rows[start : start + 1000]).scalars()
            s.connection().execute(
                insert(TaskQuote.__table__),  # type: ignore[attr-defined]
                [{"task_id": i, "kind": "posted", "created_at": now, **QUOTE} for i in ids],
            )
            advance(min(1000, len(task_rows) - start))
        s.connection().execute(insert(table), done_rows)
        uow.commit()
    return tokens


def run(platform, rounds: int = 5, requests_per_round: int = 20, advance=lambda k: None) -> dict:
    from api import create_app

    tokens = build(platform, advance)
    client = create_app({"TESTING": True}, platform=platform).test_client()
    from api.rest import tasks as tasks_api

    with_records = tasks_api.client_records
    timings: dict[str, list[float]] = {"social": [], "loner": [], "plain": []}
    seen: dict[str, int] = {}
    known = recorded = 0
    for _ in range(rounds):
        for who in ("plain", "loner", "social"):
            # "plain": the loner's feed with the client records left out, the baseline they cost against
            tasks_api.client_records = (lambda *_: {}) if who == "plain" else with_records  # type: ignore[assignment]
            headers = {"Authorization": f"Bearer {tokens['loner' if who == 'plain' else who]}"}
            started = time.perf_counter()
            for page in range(1, requests_per_round + 1):
                r = client.get(f"/api/v1/tasks?open=true&page={page}&page_size={PAGE_SIZE}", headers=headers)
                if r.status_code != 200:
                    raise RuntimeError(f"the feed answered {r.status_code}: {r.get_data(as_text=True)[:300]}")
                body = r.get_json()
                seen[who] = body["total"]
                if who == "social":
                    known += sum(
                        1 for t in body["items"] if (t.get("network") or {}).get("connections_worked_for_client")
                    )
                if who == "loner":
                    recorded += sum(1 for t in body["items"] if t.get("client_record"))
            timings[who].append(requests_per_round / (time.perf_counter() - started))
            advance(requests_per_round)
    tasks_api.client_records = with_records  # type: ignore[assignment]
    social, loner = statistics.median(timings["social"]), statistics.median(timings["loner"])
    plain = statistics.median(timings["plain"])
    return {
        "open_tasks": OPEN_TASKS,
        "connections": CONNECTIONS,
        "page_size": PAGE_SIZE,
        "rounds": rounds,
        "requests_per_round": requests_per_round,
        "feed_total_seen": seen,
        "tasks_with_network_context": known,
        "loner_requests_per_s": loner,
        "social_requests_per_s": social,
        "ratio_social_over_loner": social / loner,
        "plain_requests_per_s": plain,
        "feed_items_with_client_record": recorded,
        "ratio_records_over_plain": loner / plain,
    }
