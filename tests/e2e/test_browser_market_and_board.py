"""A real browser (browsing.py): the operator sees a floor change marked on the market chart, and a
tasker asks the board a question that a peer answers."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.e2e.browsing import browser, shot, site  # noqa: F401 - the fixtures
from tests.support import browser_two_factor, make_tasker


def test_the_operator_sees_a_floor_change_marked_on_the_market_chart(site, browser):  # noqa: F811
    base, logins, platform = site
    page = browser.new_page()
    email, password = logins["operator"]
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    browser_two_factor(page, platform, email)  # operators sign in with a code
    page.goto(f"{base}/console/floors/yard-work/springfield")
    page.get_by_label("Hourly floor", exact=False).first.fill("2600")
    page.get_by_label("Reason (kept in the audit history)").fill("Autumn review")
    page.get_by_label("Public summary", exact=False).fill("Yard work up to $26 an hour")
    page.get_by_role("button", name="Save a new version").click()
    expect(page.locator("table")).to_contain_text("26.00")

    # The dashboard, read with JavaScript off: the charts are drawn on the server.
    context = browser.new_context(java_script_enabled=False)
    dashboard = context.new_page()
    dashboard.goto(f"{base}/login")
    dashboard.get_by_label("Email").fill(email)
    dashboard.get_by_label("Password").fill(password)
    dashboard.get_by_role("button", name="Sign in").click()
    browser_two_factor(dashboard, platform, email)
    dashboard.get_by_role("link", name="Market").click()
    expect(dashboard.get_by_role("heading", name="Market health")).to_be_visible()
    dashboard.get_by_label("Category").select_option("yard-work")
    dashboard.get_by_label("Region").select_option("springfield")
    dashboard.get_by_role("button", name="Show").click()
    chart = dashboard.locator("figure[data-chart=pay] svg[role=img]")
    expect(chart).to_be_visible()
    marker = chart.locator("g.floor-change[data-marker=v2]")
    expect(marker).to_have_count(1)
    expect(marker.locator("text")).to_contain_text("v2: Yard work up to $26 an hour")
    expect(marker.locator("title")).to_have_text("Floor change v2: Yard work up to $26 an hour")
    box = marker.locator("line").bounding_box()
    assert box is not None and box["height"] > 100  # a line across the chart, not a dot
    panel = dashboard.locator("[data-floor-change='2']")
    expect(panel).to_contain_text("too few tasks")
    expect(panel).to_contain_text("24.00 USD → 26.00 USD an hour")
    shot(dashboard, "operator-market-dashboard")
    context.close()
    page.close()


def test_a_tasker_asks_the_board_a_peer_answers_and_the_asker_marks_it(site, browser):  # noqa: F811
    base, logins, platform = site
    email, password = logins["tasker"]
    page = browser.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/boards/yard-work")
    page.get_by_label("Your question, in a line").fill("How do you quote a hedge?")
    page.get_by_label("The details (Markdown)").fill("By the **metre**, or by the hour?")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_role("heading", name="How do you quote a hedge?")).to_be_visible()
    expect(page.locator(".tip-body strong")).to_have_text("metre")  # Markdown, rendered and sanitized
    question_id = int(page.url.rstrip("/").split("/")[-1])

    _, token = make_tasker(platform, "hedge-peer@example.test", {"yard-work": 2400}, ["springfield"])
    answered = requests.post(
        f"{base}/api/v1/questions/{question_id}/answers",
        json={"body": "By the hour: hedges hide *surprises*."},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text
    page.reload()
    answer = page.locator(f"[data-answer='{answered.json()['id']}']")
    expect(answer).to_contain_text("hedges hide surprises")
    answer.get_by_role("button", name="This helped me").click()
    expect(page.locator("[data-accepted=true]")).to_contain_text("The answer that helped the asker")
    expect(page.get_by_role("button", name="This helped me")).to_have_count(0)  # once per question
    shot(page, "tasker-question-answered")

    public = browser.new_page()  # anyone reads it, from the board
    public.goto(f"{base}/boards/yard-work")
    expect(public.locator("#questions ~ article.question").first).to_contain_text("answered")
    public.get_by_role("link", name="How do you quote a hedge?").click()
    expect(public.locator("[data-accepted=true]")).to_contain_text("hedges hide surprises")
    expect(public.get_by_role("button", name="Helpful")).to_have_count(0)  # only taskers vote
    public.close()
    page.close()
