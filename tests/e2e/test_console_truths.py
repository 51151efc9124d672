"""What the operators' console says is true (issue 31): a simulation of one category in one region
replays and reports only that; the market page opens on a sensible default, splits a floor
change's before and after at the change itself, and draws every series; the disputes page shows the
figures a ruling needs and a ruling for the client never pays under the legal minimum; the
compliance report is in the console, with the CLI's figures."""

from __future__ import annotations

import re

import pytest

from marketplace.accounts.users import create_user
from tests.support import csrf

PASSWORD = "a long operator password"


@pytest.fixture
def operator(app, platform):
    """A signed-in operator's test client, with CSRF on as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    with platform.uow() as uow:
        create_user(uow.session, "ops@example.test", PASSWORD, "operator")
        uow.commit()
    browser = app.test_client()
    token = csrf(browser.get("/login").get_data(as_text=True))
    r = browser.post("/login", data={"email": "ops@example.test", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    yield browser
    app.config["WTF_CSRF_ENABLED"] = False


def _text(html: str) -> str:
    """The page's words, tags dropped and spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- finding 8: the simulation ----------------------------------------------------------------------


def test_a_simulation_of_one_category_and_region_replays_only_that(operator, api):
    client = api.signup("client")
    for category, region in (
        ("yard-work", "springfield"),
        ("yard-work", "seattle"),
        ("furniture-assembly", "springfield"),
        ("moving-help", "springfield"),
    ):
        posted = api.post_task(client, category=category, region=region, estimated_minutes=60)
        assert posted.status_code == 202, posted.json
    api.price_pending()
    form = operator.get("/console/simulate").get_data(as_text=True)
    regions = re.search(r'<select[^>]*name="region".*?</select>', form, re.S).group(0)
    assert "Seattle, WA" in regions and "New York City, NY" in regions  # names...
    assert ">seattle<" not in regions and ">nyc<" not in regions  # ...not slugs
    r = operator.post(
        "/console/simulate",
        data={
            "category": "yard-work",
            "region": "springfield",
            "hourly_floor": "3000",
            "days": "7",
            "csrf_token": csrf(form),
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "1 posting of Yard work in Springfield replayed (the last 7 days)" in _text(html)
    table = html.split("<tbody>")[1].split("</tbody>")[0]
    assert table.count("<tr>") == 1 and "Yard work" in table
    assert "Furniture assembly" not in table and "Moving help" not in table
    # 60 minutes at 24.00 -> 30.00 an hour: 6.00 more subtotal for the one Springfield posting,
    # 7.20 with the fees; Seattle's posting (27.00 an hour) would have changed the average.
    assert "7.20 USD" in table

    # Every category in one region: each category's postings there, none elsewhere.
    r = operator.post(
        "/console/simulate",
        data={"region": "springfield", "hourly_floor": "3000", "days": "7", "csrf_token": csrf(form)},
    )
    page = _text(r.get_data(as_text=True))
    assert "3 postings of every category in Springfield replayed" in page
