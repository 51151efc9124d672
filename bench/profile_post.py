"""python -m bench.profile_post [N]: where a `POST /api/v1/tasks` spends its time, in process.

With the services' exports set (as for `make bench`): a fresh PostgreSQL database, the app through
Flask's test client (no gunicorn, no network), N postings (default 500) under cProfile after 50
to warm up; prints the CPU milliseconds a request, the Python function calls a request, and the 40
heaviest calls by cumulative time."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import secrets
import sys
import time
import uuid

import psycopg
from sqlalchemy.engine import make_url


def main(n: int) -> None:
    pg = os.environ["FLOORBOARD_TEST_POSTGRES_URL"]
    u = make_url(pg)
    admin = f"host={u.host} port={u.port} user={u.username} dbname=postgres"
    name = f"fb_profile_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = u.set(database=name).render_as_string(hide_password=False)
        _profile(url, n)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _profile(url: str, n: int) -> None:
    from migrations import upgrade

    upgrade(url)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "KAFKA_BOOTSTRAP_SERVERS": "",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "FLOORBOARD_PASSWORD_HASHING": "standard",
            "RATELIMIT_POSTING": "100000000 per minute",
            "RATELIMIT_SIGNUP": "100000 per hour",
            "LOG_LEVEL": "WARNING",
        }
    )
    from api import create_app
    from cli.demo import seed_demo
    from marketplace.bootstrap import bootstrap
    from tests.support import TASK_BODY

    app = create_app()
    platform = bootstrap()
    with platform.uow() as uow:
        seed_demo(uow, demo_users=False)
        uow.commit()
    client = app.test_client()
    body = {"email": "profile@example.test", "password": "correct horse battery staple"}
    client.post("/api/v1/users", json={**body, "role": "client"})
    headers = {"Authorization": f"Bearer {client.post('/api/v1/auth/token', json=body).json['token']}"}
    for _ in range(50):
        client.post("/api/v1/tasks", json=TASK_BODY, headers=headers)
    profile = cProfile.Profile()
    began = time.process_time()
    profile.enable()
    for _ in range(n):
        assert client.post("/api/v1/tasks", json=TASK_BODY, headers=headers).status_code == 202
    profile.disable()
    print(f"CPU per request (with cProfile's own cost): {(time.process_time() - began) * 1000 / n:.2f} ms")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    # Unlike CPU time, the count of Python calls does not move with what else shares the cores.
    print(f"Python function calls per request: {stats.total_calls / n:,.0f}")  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(40)
    print(out.getvalue())
    platform.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
