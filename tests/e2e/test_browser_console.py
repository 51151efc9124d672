"""The operators' console in a real browser (Playwright and Debian's Chromium, as in
test_browser.py): the market page's charts on a phone's width (390 px) and a desktop's, with a
floor change, four community series with equal values and a task given back. Every chart text is
at least 11 px high as drawn, no label runs out of its chart, the page never scrolls sideways, and
the disputes and compliance pages fit too. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlmodel import select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.floors.zones import local_day
from marketplace.market.models import MarketCommunityDay
from marketplace.tasks.adjustments import dispute_adjustment
from marketplace.tasks.lifecycle import accept_task, cancel_by_tasker, complete_task, start_task
from marketplace.tasks.models import Task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.e2e.browsing import ARTIFACTS, browser, shot, site  # noqa: F401 - the fixtures
from tests.support import NO_WINDOW, book, browser_two_factor, make_tasker, wait_until

# The drawn size of every chart text: an SVG text's font size times the scale it is drawn at (a
# viewBox would shrink it), and the HTML y labels' own; with whether it lies inside its chart.
TEXTS = """() => [...document.querySelectorAll('figure.market-chart')].flatMap(figure => {
  const svg = figure.querySelector('svg[role=img]').getBoundingClientRect();
  const texts = [...figure.querySelectorAll('svg text, svg tspan, .y-labels span')]
    .filter(t => t.getClientRects().length && getComputedStyle(t).display !== 'none');
  return texts.map(t => {
    const size = parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM ? t.getScreenCTM().a : 1);
    const box = t.getBoundingClientRect();
    const inside = !t.getScreenCTM || (box.left >= svg.left - 0.5 && box.right <= svg.right + 0.5
      && box.top >= svg.top - 0.5 && box.bottom <= svg.bottom + 0.5);
    return {chart: figure.dataset.chart, text: t.textContent, size, inside};
  });
})"""
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def _sign_in(page, base: str, email: str, password: str, platform=None) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if platform is not None:
        browser_two_factor(page, platform, email)  # operators sign in with a code
    expect(page.get_by_role("heading", name="Fee floors in force")).to_be_visible()


def _market(platform) -> None:
    """Yard work in Springfield: three tasks priced and accepted, one of them given back, then the
    floor raised; one tip, question, answer and endorsement today."""
    tasker_id, _ = make_tasker(platform, "ann@example.test", {"yard-work": 2400}, ["springfield"])
    with platform.uow() as uow:
        client = uow.session.exec(select(User).where(User.role == "client")).one().id  # the demo client
    ids = []
    for n in range(3):
        draft = TaskDraft("yard-work", "springfield", f"Leaves {n}", "", 60, utcnow() + timedelta(days=3))
        with platform.uow() as uow:
            ids.append(post_task(uow, client, draft).id)
            uow.commit()

    wait_until(lambda: _all_priced(platform, ids), 30, message="the pricing worker")
    for task_id in ids:
        book(platform, task_id)
        with platform.uow() as uow:
            accept_task(uow, uow.session.get_one(User, tasker_id), task_id, NO_WINDOW)
            uow.commit()
    with platform.uow() as uow:
        cancel_by_tasker(uow, uow.session.get_one(User, tasker_id), ids[0], "The van broke down")
        change = FloorChange(
            "yard-work", "springfield", "Autumn", {"hourly_floor": 2600}, summary="Yard work up to $26 an hour"
        )
        set_floor(uow, change, None, "ops@example.test")
        uow.session.add(
            MarketCommunityDay(
                category="yard-work",
                zone="America/Chicago",  # Springfield's clock
                day=local_day(utcnow(), ZoneInfo("America/Chicago")),
                tips=1,
                questions=1,
                answers=1,
                endorsements=1,
            )
        )
        uow.commit()


def test_the_market_charts_are_readable_at_390_px_and_nothing_is_clipped(site, browser):  # noqa: F811
    base, logins, platform = site
    _market(platform)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, base, *logins["operator"], platform)
    page.get_by_role("link", name="Market").click()  # the header's link: no choice made
    expect(page.get_by_role("heading", name="Market health")).to_be_visible()
    expect(page.get_by_text("Not a valid choice")).to_have_count(0)
    expect(page.get_by_label("Category")).to_have_value("yard-work")  # the busiest
    expect(page.locator("figure[data-chart=pay] g.floor-change[data-marker=v2]")).to_have_count(1)

    def counted() -> bool:  # three priced, two filled: the one given back is not
        page.reload()
        return "\t3\t2\t67%" in page.locator("table[aria-label='Per local day'] tbody tr").first.inner_text()

    wait_until(counted, 30, message="the market worker to count the tasks")
    expect(page.locator("figure[data-chart=postings] use[data-series=filled]")).to_have_count(1)
    floor = page.locator("figure[data-chart=pay] polyline[data-series='hourly floor']")
    expect(floor).to_have_count(1)  # one line: the first floor, then the step up to the new one
    texts = page.evaluate(TEXTS)
    assert texts and all(t["inside"] for t in texts), [t for t in texts if not t["inside"]]
    assert min(t["size"] for t in texts) >= 11, sorted(texts, key=lambda t: t["size"])[:3]
    marker = page.locator("figure[data-chart=pay] g.floor-change text")
    expect(marker).to_contain_text("v2: Yard work up to $26 an hour")
    legend = page.locator("figure[data-chart=community] .legend")
    for name in ("tips", "questions", "answers", "endorsements"):
        expect(legend).to_contain_text(name)
    shot(page, "operator-market-desktop")
    page.locator("figure[data-chart=pay]").screenshot(path=str(ARTIFACTS / "operator-market-pay-desktop.png"))

    page.set_viewport_size({"width": 390, "height": 844})
    month = f"&first={utcnow().date() - timedelta(days=30)}"  # a longer span: day labels, lines
    for name, query in (("phone", ""), ("phone-month", month)):
        page.goto(f"{base}/console/market?category=yard-work&region=springfield{query}")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        texts = page.evaluate(TEXTS)
        small = [t for t in texts if t["size"] < 11]
        assert texts and not small, small[:5]
        outside = [t for t in texts if not t["inside"]]
        assert not outside, outside[:5]
        shot(page, f"operator-market-{name}")
        for key in ("pay", "community"):
            figure = page.locator(f"figure[data-chart={key}]")
            figure.screenshot(path=str(ARTIFACTS / f"operator-market-{key}-{name}.png"))

    for path in ("/console/disputes", "/console/compliance", "/console/simulate"):
        page.goto(base + path)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), path
    page.close()


SVG_TEXTS = """(selector) => {
  const svg = document.querySelector(selector).getBoundingClientRect();
  return [...document.querySelectorAll(selector + ' text')].map(t => {
    const box = t.getBoundingClientRect();
    return {text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
            inside: box.left >= svg.left - 0.5 && box.right <= svg.right + 0.5};
  });
}"""


def test_the_simulation_and_a_dispute_read_at_390_px(site, browser):  # noqa: F811
    base, logins, platform = site
    tasker_id, _ = make_tasker(platform, "sam@example.test", {"yard-work": 2700}, ["seattle"])
    with platform.uow() as uow:
        client = uow.session.exec(select(User).where(User.role == "client")).one()
        tasker = uow.session.get_one(User, tasker_id)
    drafts = [("yard-work", "seattle"), ("yard-work", "springfield"), ("moving-help", "springfield")]
    ids = []
    for category, region in drafts:
        with platform.uow() as uow:
            ids.append(
                post_task(uow, client.id, TaskDraft(category, region, "Rake", "", 60, utcnow() + timedelta(days=3))).id
            )
            uow.commit()
    wait_until(lambda: _all_priced(platform, ids), 30, message="the pricing worker")
    seattle = ids[0]
    book(platform, seattle)
    for step in (
        lambda uow: accept_task(uow, tasker, seattle, NO_WINDOW),
        lambda uow: start_task(uow, tasker, seattle, timedelta(days=3650)),
    ):
        with platform.uow() as uow:
            step(uow)
            uow.commit()
    with platform.uow() as uow:  # started 51 minutes ago
        task = uow.session.get_one(Task, seattle)
        task.started_at = utcnow() - timedelta(minutes=51)
        uow.session.add(task)
        uow.commit()
    with platform.uow() as uow:
        complete_task(uow, tasker, seattle, 61, "A second pass on the hedge")
        uow.commit()
    with platform.uow() as uow:
        dispute_adjustment(uow, client, seattle, "It took under an hour")
        uow.commit()

    page = browser.new_page(viewport={"width": 390, "height": 844})
    _sign_in(page, base, *logins["operator"], platform)
    page.goto(f"{base}/console/disputes")
    card = page.locator(f"[data-dispute='{seattle}']")
    expect(card).to_contain_text("51 minutes between the two")
    expect(card).to_contain_text("27.45 USD")
    expect(card.get_by_role("button", name="Rule for the client")).to_be_disabled()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "operator-dispute-phone")
    page.get_by_role("link", name="legal-minimum compliance report").click()
    expect(page.get_by_role("heading", name="Pay against the legal minimum")).to_be_visible()
    page.get_by_label("Region", exact=True).select_option("seattle")
    page.get_by_role("button", name="Check").click()
    expect(page.locator(f"[data-shortfall='{seattle}']")).to_contain_text("a ruling is pending")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "operator-compliance-phone")

    page.goto(f"{base}/console/simulate")
    page.get_by_label("Region").select_option("springfield")
    page.get_by_label("Proposed hourly floor (cents)").fill("2000")
    page.get_by_label("Replay the last N days").fill("7")
    page.get_by_role("button", name="Simulate").click()
    expect(page.get_by_role("heading", name="2 postings of every category in Springfield replayed")).to_be_visible()
    texts = page.evaluate(SVG_TEXTS, "figure.simulation-chart svg")
    assert texts and min(t["size"] for t in texts) >= 11, texts
    assert all(t["inside"] for t in texts), texts
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "operator-simulation-phone")
    page.close()


def _all_priced(platform, ids) -> bool:
    with platform.uow() as uow:
        return all(uow.session.get_one(Task, i).status == "priced" for i in ids)
