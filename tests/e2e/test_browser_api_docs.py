"""A real browser (browsing.py): the API docs render every operation, and a tasker's developer reads
them, sets skills and is told when the feed opens."""

from __future__ import annotations

import time

import requests
from playwright.sync_api import expect

from tests.e2e.browsing import browser, shot, site  # noqa: F401 - the fixtures


def test_the_api_docs_render_every_operation_and_try_it_out_calls_the_api(site, browser):  # noqa: F811
    base, _, _ = site
    page = browser.new_page()
    failures: list[str] = []
    page.on("console", lambda m: failures.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/api/docs")
    categories = page.locator(".opblock-get").filter(has=page.locator('[data-path="/api/v1/categories"]'))
    expect(categories).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    spec = requests.get(f"{base}/api/openapi.json", timeout=10).json()
    verbs = {"get", "put", "post", "delete", "patch"}
    operations = sum(len(verbs & set(item)) for item in spec["paths"].values())
    assert page.locator(".opblock").count() == operations
    categories.locator(".opblock-summary").click()
    categories.get_by_role("button", name="Try it out").click()
    categories.get_by_role("button", name="Execute").click()
    status = categories.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text("200", timeout=15_000)
    expect(categories.locator(".live-responses-table")).to_contain_text("yard-work")
    shot(page, "api-docs")
    assert not [f for f in failures if "Content Security Policy" in f], failures
    page.close()


def test_a_taskers_developer_reads_the_docs_sets_skills_and_is_told_when_the_feed_opens(site, browser):  # noqa: F811
    """The first hour of a tasker's developer: the docs in a browser, then the API they describe."""
    base, logins, platform = site
    page = browser.new_page()
    page.goto(f"{base}/api/docs")
    skills_op = page.locator(".opblock-put").filter(has=page.locator('[data-path="/api/v1/taskers/me/skills"]'))
    expect(skills_op).to_be_visible(timeout=30_000)
    skills_op.locator(".opblock-summary").click()
    expect(skills_op).to_contain_text("yard-work")  # the request body's example shows what to send
    page.close()

    http = requests.Session()
    signup = {"email": "dev@example.test", "password": "correct horse battery", "role": "tasker"}
    assert http.post(f"{base}/api/v1/users", json=signup, timeout=10).status_code == 201
    credentials = {"email": signup["email"], "password": signup["password"]}
    token = http.post(f"{base}/api/v1/auth/token", json=credentials, timeout=10)
    http.headers["Authorization"] = f"Bearer {token.json()['token']}"
    mine = http.put(
        f"{base}/api/v1/taskers/me/skills",
        json={"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]},
        timeout=10,
    )
    assert mine.status_code == 200 and mine.json()["waiting"]["windows"] == {"yard-work": 180}
    client_email, client_password = logins["client"]
    client = requests.Session()
    client_token = client.post(
        f"{base}/api/v1/auth/token", json={"email": client_email, "password": client_password}, timeout=10
    ).json()["token"]
    client.headers["Authorization"] = f"Bearer {client_token}"
    task = {"category": "yard-work", "region": "springfield", "title": "Hedge", "estimated_minutes": 60}
    task_id = client.post(f"{base}/api/v1/tasks", json=task | {"starts_at": "2031-05-01T09:00:00Z"}, timeout=10)
    task_id = task_id.json()["id"]
    booked = {"payment_method": "pm_card_visa"}

    def waiting() -> dict:
        client.post(f"{base}/api/v1/tasks/{task_id}/book", json=booked, timeout=10)  # once it is priced
        return http.get(f"{base}/api/v1/tasks?open=true", timeout=10).json()

    deadline = time.monotonic() + 30
    while (feed := waiting())["waiting"]["count"] == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert feed["items"] == [] and feed["waiting"]["count"] == 1  # a newcomer waits behind the window...
    assert feed["waiting"]["next_opens_at"] and "higher tiers" in feed["waiting"]["explanation"]  # ...and is told
