"""`floorboard worker NAME --metrics-port PORT` serves the worker's own counters to Prometheus: a
real worker process, its metrics scraped over HTTP after it priced a posting."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import requests

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.posting import TaskDraft, post_task
from tests.faults import free_port
from tests.support import seeded, wait_until

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")


def test_a_worker_serves_its_counters(postgres_url, make_platform, tmp_path):
    platform = seeded(make_platform(postgres_url))
    with platform.uow() as uow:
        client = create_user(uow.session, "metrics@example.test", "a long password", "client")
        draft = TaskDraft("yard-work", "springfield", "Rake", "", 60, utcnow() + timedelta(days=2))
        task_id = post_task(uow, client.id, draft).id
        uow.commit()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": postgres_url, "KAFKA_BOOTSTRAP_SERVERS": ""}
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen(
            [FLOORBOARD, "worker", "pricing", "--metrics-port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def priced() -> bool:
            with platform.uow() as uow:
                return uow.session.get_one(Task, task_id).status == TaskStatus.priced

        wait_until(priced, 60, message="the worker to price the posting")

        def scraped() -> str:
            try:
                return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except requests.ConnectionError:
                return ""

        wait_until(lambda: 'floorboard_events_processed_total{group="pricing"' in scraped(), 30, message="metrics")
        text = scraped()
        assert 'floorboard_events_processed_total{group="pricing",topic="tasks.posted"} 1.0' in text
        for name in ("floorboard_events_dead_lettered_total", "floorboard_postings_resent_total"):
            assert f"# TYPE {name} counter" in text
    finally:
        worker.terminate()
        worker.wait(30)
    assert "metrics on http://127.0.0.1:" in (tmp_path / "worker.log").read_text()
