"""What a new tasker met on a phone, fixed: one clock (named) for times about their account, and the
task's region's clock for a delivery about a task; deliveries in words (kind, task, a plain reason;
the raw error only under "For developers"); floor refusals by names, never slugs or cents; a start
button that waits for its window and a refusal naming the task by its title; a new signing secret
only after a confirmation, shown once after a 303 and never in a URL or a cookie; a way back from a
profile opened from a task or the offers; a confirmation beside the form that was sent; and tables
that stack at 390 px."""

# ruff: noqa: F811 - the account pages' fixtures (platform, people, rita) are imported and then named as arguments

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from api.web.tasker_account import plain_reason
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.errors import Invalid
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint
from marketplace.payments.models import PayoutAccount
from marketplace.taskers.skills import SkillSpec, put_skill, set_skills
from marketplace.tasks.lifecycle import accept_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.e2e.test_tasker_account_web import (  # noqa: F401 - fixtures
    PASSWORD,
    done_task,
    people,
    platform,
    rita,
    signed_in,
    text,
    token_of,
    web_app,
)
from tests.support import NO_WINDOW, Pipeline, book, live_server, seeded

AT = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)  # 12:00 CST in Springfield, 10:00 PST in Seattle


def people_of(platform) -> dict[str, int]:
    """As the `people` fixture, on a platform of the test's own."""
    with platform.uow() as uow:
        made = {
            name: create_user(uow.session, f"{name}@example.test", PASSWORD, role, display_name=name.title()).id
            for name, role in (("rita", "tasker"), ("sam", "tasker"), ("casey", "client"))
        }
        set_skills(uow, made["rita"], ["springfield"], [SkillSpec("yard-work", 2400)])
        uow.commit()
    return made


def posted(platform, people, title: str, region: str = "springfield", starts_in=timedelta(days=2)) -> int:
    with platform.uow() as uow:
        draft = TaskDraft("yard-work", region, title, "", 60, utcnow() + starts_in)
        task_id = post_task(uow, people["casey"], draft).id
        uow.commit()
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    return task_id


def endpoint_with(platform, people, deliveries: list[dict]) -> int:
    with platform.uow() as uow:
        endpoint = WebhookEndpoint(
            tasker_id=people["rita"],
            url="http://127.0.0.1:9/hooks",
            kinds="task.available,connection.requested",
            secret="whsec_old",
        )
        uow.session.add(endpoint)
        uow.session.flush()
        for d in deliveries:
            uow.session.add(WebhookDelivery(endpoint_id=endpoint.id, **d))
        uow.commit()
        return endpoint.id


def about(task_id: int | None) -> str:
    data = {"task_id": task_id} if task_id is not None else {"from_tasker_id": 7}
    return orjson.dumps({"type": "x", "version": 1, "timestamp": "2026-01-15T18:00:00Z", "data": data}).decode()


def row_of(page: str, delivery_id: int) -> str:
    return page.split(f'data-delivery="{delivery_id}"')[1].split("</tr>")[0]


# a. and b. ---------------------------------------------------------------------------------------


def test_deliveries_are_in_words_on_the_clock_of_their_task_or_the_account(platform, people, rita):
    with platform.uow() as uow:  # Seattle sorts first: the account's clock is Seattle's
        set_skills(uow, people["rita"], ["springfield", "seattle"], [SkillSpec("yard-work", 2700)])
        uow.commit()
    task_id = posted(platform, people, "Rake the maple leaves")
    endpoint_id = endpoint_with(
        platform,
        people,
        [
            {
                "event_id": f"available:{task_id}",
                "kind": "task.available",
                "payload": about(task_id),
                "status": "pending",
                "attempts": 2,
                "last_error": "ConnectionRefusedError: [Errno 111] Connection refused",
                "created_at": AT,
                "next_attempt_at": AT + timedelta(hours=1),
            },
            {
                "event_id": "01a251a7538e7737aa01",
                "kind": "connection.requested",
                "payload": about(None),
                "status": "failed",
                "attempts": 9,
                "last_status_code": 500,
                "last_error": "HTTP 500",
                "created_at": AT,
            },
        ],
    )
    with platform.uow() as uow:
        endpoint = uow.session.get_one(WebhookEndpoint, endpoint_id)
        endpoint.failing_since = AT
        uow.session.add(endpoint)
        uow.session.add(PayoutAccount(tasker_id=people["rita"], account_id="acct_null_rita", created_at=AT))
        ids = [d.id for d in uow.session.exec(WebhookDelivery.__table__.select())]  # type: ignore[attr-defined]
        uow.commit()
    page = text(rita.get(f"/me/webhooks/{endpoint_id}"))
    about_task, no_task = row_of(page, min(ids)), row_of(page, max(ids))
    assert "Rake the maple leaves" in about_task and f'href="/work/{task_id}"' in about_task
    assert "2026-01-15 12:00 CST" in about_task and "PST" not in about_task  # the task's region's clock
    assert "Your URL refused the connection" in about_task
    assert "2026-01-15 10:00 PST" in no_task and "Your URL answered 500" in no_task  # the account's clock
    for row in (about_task, no_task):
        shown = re.sub(r"<details.*?</details>", "", row)
        assert "available:" not in shown and "01a251a7538e7737" not in shown and "Errno" not in shown
        assert "ConnectionRefusedError" not in shown
    assert "<summary>For developers</summary><code>ConnectionRefusedError: [Errno 111] Connection refused" in about_task
    assert "failing since <time" in page and "2026-01-15 10:00 PST" in page.split("failing since")[1][:120]
    listed = text(rita.get("/me/webhooks"))
    assert "failing since" in listed and "2026-01-15 10:00 PST" in listed.split("failing since")[1][:120]
    earned = text(rita.get("/me/earnings"))
    assert "connected on" not in earned or "2026-01-15 10:00 PST" in earned  # test mode hides the date


def test_plain_reasons():
    assert plain_reason("ConnectionRefusedError: [Errno 111] Connection refused", None, 10) == (
        "Your URL refused the connection"
    )
    assert plain_reason("TimeoutError: timed out", None, 10.0) == "It timed out after 10 s"
    assert plain_reason("HTTP 500", 500, 10) == "Your URL answered 500"
    assert plain_reason("gaierror: [Errno -2] Name or service not known", None, 10) == (
        "Your URL's host name could not be found"
    )
    assert plain_reason("", None, 10) == "" and plain_reason("", 200, 10) == ""
    assert "Errno" not in plain_reason("OSError: [Errno 113] No route to host", None, 10)


# c. ----------------------------------------------------------------------------------------------


def test_a_rate_under_the_floor_is_refused_by_names_without_cents(platform, people, rita):
    token = token_of(rita, "/me/skills")
    rita.post("/me/skills", data={"action": "regions", "regions": ["springfield", "seattle"], "csrf_token": token})
    below = text(
        rita.post(
            "/me/skills",
            data={
                "action": "skill",
                "category": "yard-work",
                "rate": "25",
                "rate-seattle": "26.99",
                "csrf_token": token,
            },
        )
    )
    assert "26.99 USD/h is below the floor of 27.00 USD/h for Yard work in Seattle, WA." in below
    assert "cents" not in below.split("Skills and rates", 2)[-1] and "for yard-work in" not in below
    with platform.uow() as uow, pytest.raises(Invalid) as refused:  # the API's words are the same
        put_skill(uow, people["rita"], SkillSpec("yard-work", 2500))
    assert refused.value.errors["rate"] == [
        "25.00 USD/h is below the floor of 27.00 USD/h for Yard work in Seattle, WA: raise it, or give "
        "Seattle, WA a rate of its own."
    ]


# d. ----------------------------------------------------------------------------------------------


def test_the_start_button_waits_for_its_window_and_the_refusal_names_the_task(make_platform, sqlite_url):
    """With the real start window (from 2 hours before the start; the suite's platform opens it wide)."""
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW, start_early_s=2 * 3600))
    people = people_of(platform)
    rita = signed_in(web_app(platform), "rita@example.test")
    task_id = posted(platform, people, "Trim the hedge", starts_in=timedelta(days=2, minutes=5))
    book(platform, task_id)
    with platform.uow() as uow:
        accept_task(uow, uow.session.get_one(User, people["rita"]), task_id, NO_WINDOW)
        uow.commit()
    page = text(rita.get(f"/work/{task_id}"))
    start = page.split('id="start-heading"')[1].split("</section>")[0]
    assert 'data-start-window="soon"' in start and "(in 1 day)" in start
    assert "disabled" in start and 'action="/work/' not in start  # no live button, no form to send
    token = token_of(rita, f"/work/{task_id}")
    answer = rita.post(f"/work/{task_id}/start", data={"csrf_token": token})
    assert answer.status_code == 303
    said = text(rita.get(answer.headers["Location"]))
    assert "“Trim the hedge” can not be started yet: you can start it from" in said
    assert f"Task {task_id}" not in said


# e. ----------------------------------------------------------------------------------------------


def test_a_new_secret_is_asked_for_then_shown_once_after_a_redirect(platform, people, rita):
    endpoint_id = endpoint_with(platform, people, [])
    page = text(rita.get(f"/me/webhooks/{endpoint_id}"))
    assert f'href="/me/webhooks/{endpoint_id}/rotate#rotate"' in page and "New signing secret" in page
    assert f'action="/me/webhooks/{endpoint_id}/rotate"' not in page  # no one-click rotation
    confirm = rita.get(f"/me/webhooks/{endpoint_id}/rotate")
    asked = text(confirm)
    assert confirm.status_code == 200 and "Yes, make a new secret" in asked and ">Cancel</a>" in asked
    assert f'action="/me/webhooks/{endpoint_id}/rotate"' in asked
    with platform.uow() as uow:
        assert uow.session.get_one(WebhookEndpoint, endpoint_id).secret == "whsec_old"  # asking changes nothing
    rotated = rita.post(f"/me/webhooks/{endpoint_id}/rotate", data={"csrf_token": csrf_of(asked)})
    assert rotated.status_code == 303 and rotated.headers["Location"] == f"/me/webhooks/{endpoint_id}"
    with platform.uow() as uow:
        secret = uow.session.get_one(WebhookEndpoint, endpoint_id).secret
    assert secret != "whsec_old"
    for header in rotated.headers.getlist("Set-Cookie"):
        assert secret not in header and secret.removeprefix("whsec_")[:12] not in header
    assert secret not in rotated.headers["Location"]
    shown = rita.get(f"/me/webhooks/{endpoint_id}").get_data(as_text=True)
    assert f"data-secret>{secret}<" in shown
    assert secret not in rita.get(f"/me/webhooks/{endpoint_id}").get_data(as_text=True)  # once
    sam = signed_in(web_app(platform), "sam@example.test")
    assert sam.get(f"/me/webhooks/{endpoint_id}/rotate").status_code == 404


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


# f. ----------------------------------------------------------------------------------------------


def test_a_profile_opened_from_a_task_leads_back(platform, people, rita):
    sam = people["sam"]
    back = text(rita.get(f"/taskers/{sam}?from=/work/12"))
    assert '<a href="/work/12" data-back>Back to the task</a>' in back
    offers = text(rita.get(f"/taskers/{sam}?from=/handoffs"))
    assert '<a href="/handoffs" data-back>Back to the offers</a>' in offers
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        assert "data-back" not in text(rita.get(f"/taskers/{sam}", query_string={"from": evil})), evil
    assert "data-back" not in text(rita.get(f"/taskers/{sam}"))
    handoffs = text(rita.get("/handoffs"))
    assert 'open it from <a href="/work">My work</a>' in handoffs


# g. ----------------------------------------------------------------------------------------------


def test_the_confirmation_is_beside_the_form_that_was_sent(platform, people, rita):
    token = token_of(rita, "/me/skills")
    sent = rita.post(
        "/me/skills", data={"action": "regions", "regions": ["springfield", "riverside"], "csrf_token": token}
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/me/skills#regions"
    page = text(rita.get(sent.headers["Location"]))
    regions = page.split('id="regions"')[1].split("</section>")[0]
    assert '<p class="flash" role="status">Added the region Riverside.</p>' in regions
    assert page.count("Added the region Riverside.") == 1  # not also at the top, off-screen
    assert "Added the region Riverside." not in text(rita.get("/me/skills"))  # said once
    saved = rita.post(
        "/me/skills", data={"action": "skill", "category": "yard-work", "rate": "25", "csrf_token": token}
    )
    page = text(rita.get(saved.headers["Location"]))
    skill = page.split('id="skill-yard-work"')[1].split("</section>")[0]
    assert "Yard work: 25.00 USD/h in your regions without a rate of their own, was 24.00 USD/h." in skill


# h. ----------------------------------------------------------------------------------------------


def test_account_tables_are_readable_at_390_px(platform, people):
    from playwright.sync_api import sync_playwright

    chromium_path = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium_path, os.X_OK):
        pytest.fail(f"Chromium is required at {chromium_path}")
    with platform.uow() as uow:
        set_skills(
            uow,
            people["rita"],
            ["springfield", "seattle", "riverside"],
            [SkillSpec("yard-work", 2400, {"seattle": 2900}), SkillSpec("moving-help", 2800)],
        )
        for category in ("yard-work", "moving-help"):  # what the reputation projection keeps per category
            uow.session.add(
                Reputation(
                    tasker_id=people["rita"], category=category, rating_sum=9, rating_count=2, completed=2, score=41
                )
            )
        uow.commit()
    task_id = done_task(platform, people, "A task with a long title that has to wrap on a phone")
    endpoint_id = endpoint_with(
        platform,
        people,
        [
            {
                "event_id": f"available:{task_id}",
                "kind": "task.available",
                "payload": about(task_id),
                "status": "pending",
                "attempts": 3,
                "last_error": "ConnectionRefusedError: [Errno 111] Connection refused",
            }
        ],
    )
    app = web_app(platform)
    with live_server(app) as base, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, args=["--headless", "--no-sandbox"], headless=True)
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("rita@example.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        for path, tables in (
            ("/me", ("table.rates", "table.by-category")),
            (f"/me/webhooks/{endpoint_id}", ("table.deliveries",)),
        ):
            page.goto(f"{base}{path}")
            width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert width[0] <= width[1], (path, width)
            for table in tables:
                cells = page.locator(f"{table} tbody td, {table} tbody th")
                assert cells.count() > 0, (path, table)
                for i in range(cells.count()):
                    box = cells.nth(i).bounding_box()
                    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (path, table, i, box)
        floor = page.goto(f"{base}/me") and page.locator("table.rates td[data-label=Floor]").first
        assert floor.is_visible() and "Floor" in page.evaluate(
            "(el) => getComputedStyle(el, '::before').content", floor.element_handle()
        )
        page.goto(f"{base}/me/webhooks/{endpoint_id}")
        again = page.get_by_role("button", name="Send again")
        box = again.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
        again.click()
        assert any("goes again" in line for line in page.locator("p.flash").all_inner_texts())
        chromium.close()
