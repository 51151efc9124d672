"""Tables on a phone (390 px wide) in a real browser: the client's My tasks, the console's floors,
the market page's change panel and the what-if simulation. Each row becomes a card of labelled
cells, so every cell lies inside the viewport (no column hidden past the right edge behind a
sideways scroll) and the page itself never scrolls sideways."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.browsing import browser, site  # noqa: F401 - the fixtures
from tests.e2e.test_browser_console import _market, _sign_in

WIDTH = 390
# Every body cell of the tables matched, with its right edge and its column's label.
CELLS = """(selector) => [...document.querySelectorAll(selector)].flatMap(table =>
  [...table.querySelectorAll('tbody td, tbody th')].filter(c => c.getClientRects().length).map(c => {
    const box = c.getBoundingClientRect();
    return {text: c.innerText.trim().slice(0, 40), label: c.dataset.label || null, right: box.right, width: box.width};
  }))"""
PAGE_WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"


def _fits(page, selector: str, labels: set[str]) -> None:
    cells = page.evaluate(CELLS, selector)
    assert cells, f"no cells in {selector}"
    outside = [c for c in cells if c["right"] > WIDTH or c["width"] <= 0]
    assert not outside, outside[:5]
    assert labels <= {c["label"] for c in cells}, {c["label"] for c in cells}
    scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
    assert scroll_width <= inner_width + 1, (selector, scroll_width, inner_width)


def test_the_four_tables_fit_a_phone_without_sideways_scrolling(site, browser):  # noqa: F811
    base, logins, platform = site
    _market(platform)  # three yard-work tasks of the demo client in Springfield, then a floor raised

    client = browser.new_page(viewport={"width": WIDTH, "height": 844})
    client.goto(f"{base}/login")
    client.get_by_label("Email").fill(logins["client"][0])
    client.get_by_label("Password").fill(logins["client"][1])
    client.get_by_role("button", name="Sign in").click()
    expect(client.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(client.locator("table td[data-label=Price]").first).to_contain_text("USD")
    _fits(client, "main table", {"Task", "Category", "Starts (local time)", "Status", "Price"})
    price = client.locator("table td[data-label=Price]").first
    assert price.evaluate("c => getComputedStyle(c, '::before').content") == '"Price: "'
    client.close()

    page = browser.new_page(viewport={"width": WIDTH, "height": 844})
    _sign_in(page, base, *logins["operator"], platform)  # lands on the floors
    _fits(page, "main table", {"Springfield"})

    page.goto(f"{base}/console/market?category=yard-work&region=springfield")
    expect(page.locator("[data-floor-change] table td[data-label=Change]").first).to_be_visible()
    _fits(page, "[data-floor-change] table", {"Before", "After", "Change"})

    page.goto(f"{base}/console/simulate")
    page.get_by_label("Region").select_option("springfield")
    page.get_by_label("Proposed hourly floor (cents)").fill("3000")
    page.get_by_label("Replay the last N days").fill("7")
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("[data-replayed]")).to_be_visible()
    expect(page.locator("main table tbody tr").first).to_be_visible()
    _fits(page, "main table", {"Category", "Postings", "Affected", "Avg client Δ", "Total client Δ", "Avg payout Δ"})
    page.close()


TEXTS = """(selector) => [...document.querySelectorAll(selector)].map(t => {
  const box = t.getBoundingClientRect();
  return {text: t.textContent.trim(), left: box.left, right: box.right, height: box.height};
})"""


def test_the_price_chart_and_the_markets_days_fit_a_phone(site, browser):  # noqa: F811
    base, logins, platform = site
    _market(platform)
    page = browser.new_page(viewport={"width": WIDTH, "height": 844})
    page.goto(f"{base}/prices/springfield")
    expect(page.locator("figure.chart svg.narrow")).to_be_visible()
    expect(page.locator("figure.chart svg.wide")).to_be_hidden()
    texts = page.evaluate(TEXTS, "figure.chart svg.narrow text")
    assert any(t["text"] == "now" for t in texts) and len(texts) >= 4, texts
    clipped = [t for t in texts if t["left"] < 0 or t["right"] > WIDTH]
    assert not clipped, clipped
    small = [t for t in texts if t["height"] < 9]  # drawn at its own size, not squeezed to a few pixels
    assert not small, small
    scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
    assert scroll_width <= inner_width + 1

    wide = browser.new_page(viewport={"width": 1280, "height": 900})
    wide.goto(f"{base}/prices/springfield")
    expect(wide.locator("figure.chart svg.wide")).to_be_visible()
    expect(wide.locator("figure.chart svg.narrow")).to_be_hidden()
    texts = wide.evaluate(TEXTS, "figure.chart svg.wide text")
    svg = wide.locator("figure.chart svg.wide").bounding_box()
    assert svg is not None
    clipped = [t for t in texts if t["left"] < svg["x"] - 0.5 or t["right"] > svg["x"] + svg["width"] + 0.5]
    assert not clipped, clipped
    wide.close()

    _sign_in(page, base, *logins["operator"], platform)
    page.goto(f"{base}/console/market?category=yard-work&region=springfield")
    _fits(page, 'table[aria-label="Per local day"]', {"Priced", "Fill rate", "Legal min. per hour"})
    page.close()
