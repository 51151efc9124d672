"""While the database is down, the API answers a JSON 503 with Retry-After, web pages a friendly
"try again" page with the same status, and the log gets one line per kind of failure per interval,
not a traceback per request. When it is back, the same requests succeed."""

from __future__ import annotations

import logging

from api import create_app
from tests.support import UNLIMITED, ApiHelper, seeded


def test_a_database_outage_is_a_503_with_retry_after_and_a_quiet_log(private_postgres, make_platform, caplog):
    platform = seeded(make_platform(private_postgres.url))
    app = create_app({"TESTING": True, **UNLIMITED}, platform=platform)
    client = app.test_client()
    api = ApiHelper(client, platform)
    who = api.signup("client")
    assert api.post_task(who).status_code == 202

    private_postgres.crash()
    try:
        caplog.set_level(logging.INFO, logger="api.errors")
        for _ in range(40):
            r = api.post_task(who)
            assert r.status_code == 503, r.data
            assert r.headers["Retry-After"] == "5"
            assert r.is_json and "Try again in 5 seconds" in r.json["message"]
        r = client.get("/api/v1/tasks", headers=api.headers(who))
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        page = client.get("/prices/springfield", headers={"Accept": "text/html"})
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert b"Try again in a moment" in page.data and b"Traceback" not in page.data
        assert client.get("/readyz").status_code == 503
        lines = [r for r in caplog.records if r.name == "api.errors"]
        assert 1 <= len(lines) <= 3, [r.getMessage() for r in lines]
        assert not any(r.exc_info for r in lines), "an outage logged tracebacks"
        assert "answered 503" in lines[0].getMessage()
    finally:
        private_postgres.resume()

    assert api.post_task(who).status_code == 202  # the pool reconnects by itself
    assert client.get("/prices/springfield", headers={"Accept": "text/html"}).status_code == 200
