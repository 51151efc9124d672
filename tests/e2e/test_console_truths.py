"""What the operators' console says is true (issue 31): a simulation of one category in one region
replays and reports only that; the market page opens on a sensible default, splits a floor
change's before and after at the change itself, and draws every series; the disputes page shows the
figures a ruling needs and a ruling for the client never pays under the legal minimum; the
compliance report is in the console, with the CLI's figures."""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlmodel import select

from cli import cli
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.floors.models import FloorRuleVersion
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.floors.zones import local_day
from marketplace.market.models import MarketCommunityDay
from marketplace.payments.models import PayoutAccount
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.adjustments import dispute_adjustment
from marketplace.tasks.lifecycle import accept_task, cancel_by_tasker, complete_task, start_task
from marketplace.tasks.models import Task
from marketplace.tasks.posting import TaskDraft, post_task
from pricing.money import format_cents
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, book, csrf, enrol_two_factor, pass_two_factor, seeded

PASSWORD = "a long operator password"


@pytest.fixture
def operator(app, platform):
    """A signed-in operator's test client, with CSRF on as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    with platform.uow() as uow:
        create_user(uow.session, "ops@example.test", PASSWORD, "operator")
        uow.commit()
    enrol_two_factor(platform, "ops@example.test")  # operators must have it
    browser = app.test_client()
    token = csrf(browser.get("/login").get_data(as_text=True))
    r = browser.post("/login", data={"email": "ops@example.test", "password": PASSWORD, "csrf_token": token})
    r = pass_two_factor(browser, r)
    assert r.status_code == 302
    yield browser
    app.config["WTF_CSRF_ENABLED"] = False


def _text(html: str) -> str:
    """The page's words, tags dropped and spaces folded."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


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


# -- finding 6: a ruling never pays under the legal minimum; the figures before deciding -----------


@pytest.fixture
def platform(sqlite_url, make_platform):
    """The seeded SQLite platform, with every tier seeing a task at once."""
    return seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))


def _run(platform, use_case, *args):
    with platform.uow() as uow:
        result = use_case(uow, *args)
        uow.commit()
        return result


def _user(platform, user_id: int) -> User:
    with platform.uow() as uow:
        return uow.session.get_one(User, user_id)


@pytest.fixture
def disputed(platform):
    """Seattle (0.45 USD a minute): 60 minutes booked at the floor (27.00 USD), started 51 minutes
    ago, completed claiming 61; the client disputes. Returns (task id, its local month)."""
    with platform.uow() as uow:
        client = create_user(uow.session, "casey@example.test", PASSWORD, "client").id
        sam = create_user(uow.session, "sam@example.test", PASSWORD, "tasker").id
        set_skills(uow, sam, ["seattle"], [SkillSpec("yard-work", 2700)])
        uow.session.add(PayoutAccount(tasker_id=sam, account_id="acct_null_sam"))
        uow.commit()
    pipeline = Pipeline(platform, ["pricing", "payments"])
    draft = TaskDraft("yard-work", "seattle", "Rake the lawn", "", 60, utcnow() + timedelta(days=3))
    task_id = _run(platform, post_task, client, draft).id
    pipeline.drain()
    book(platform, task_id)
    _run(platform, accept_task, _user(platform, sam), task_id, NO_WINDOW)
    _run(platform, start_task, _user(platform, sam), task_id, ANY_TIME)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        task.started_at = utcnow() - timedelta(minutes=51)
        uow.session.add(task)
        uow.commit()
    _run(platform, complete_task, _user(platform, sam), task_id, 61, "A second pass on the hedge")
    _run(platform, dispute_adjustment, _user(platform, client), task_id, "It took under an hour")
    pipeline.drain()
    pipeline.close()
    with platform.uow() as uow:
        done = uow.session.get_one(Task, task_id).completed_at
    return task_id, f"{done.astimezone(ZoneInfo('America/Los_Angeles')):%Y-%m}"


def test_the_disputes_page_shows_the_figures_and_a_ruling_under_the_minimum_is_refused(operator, disputed):
    task_id, month = disputed
    page = operator.get("/console/disputes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    card = html.split(f'data-dispute="{task_id}"')[1].split("</section>")[0]
    assert 'data-elapsed="51"' in card and "51 minutes</strong> between the two" in card
    assert 'data-booked-minutes="60"' in card and 'data-claimed-minutes="61"' in card
    assert "10 more than passed between the start and the completion" in _text(card)
    assert 'data-legal-minimum="2745"' in card and "27.45 USD" in card and "0.45 USD a minute" in card
    assert 'data-client-ruling-short="45"' in card and "0.45 USD under the legal minimum" in _text(card)
    client_button = re.search(r'<button[^>]*value="client"[^>]*>', card).group(0)
    assert "disabled" in client_button
    assert 'href="/console/compliance"' in html  # the report, one click from here

    refused = operator.post(
        f"/console/disputes/{task_id}",
        data={"decision": "client", "note": "The client is right", "csrf_token": csrf(html)},
    )
    text = _text(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "A ruling for the client would pay the tasker 27.00 USD (the booked amount) for 61 minutes worked" in text
    assert "0.45 USD under Seattle, WA's legal minimum of 27.45 USD" in text
    assert 'value="The client is right"' in refused.get_data(as_text=True)  # the reason is kept

    report = operator.get(f"/console/compliance?region=seattle&month={month}")
    table = report.get_data(as_text=True)
    assert report.status_code == 200 and 'data-verdict="short"' in table
    row = table.split(f'data-shortfall="{task_id}"')[1].split("</tr>")[0]
    assert "27.00 USD" in row and "27.45 USD" in row and "0.45 USD" in row and "a ruling is pending" in row

    ruled = operator.post(
        f"/console/disputes/{task_id}",
        data={"decision": "tasker", "note": "The law asks for the minutes worked", "csrf_token": csrf(html)},
    )
    assert ruled.status_code == 302
    clean = operator.get(f"/console/compliance?region=seattle&month={month}").get_data(as_text=True)
    assert 'data-verdict="clean"' in clean and 'data-checked="1"' in clean


def test_the_console_compliance_report_has_the_clis_figures(operator, disputed, sqlite_url):
    task_id, month = disputed
    env = {"DATABASE_URL": sqlite_url, "SECRET_KEY": secrets.token_urlsafe(32), "KAFKA_BOOTSTRAP_SERVERS": ""}
    args = ["compliance", "report", "--region", "seattle", "--month", month, "--json"]
    printed = CliRunner().invoke(cli, args, env=env)
    assert printed.exit_code == 1, printed.output
    shown = operator.get(f"/console/compliance?region=seattle&month={month}").get_data(as_text=True)
    summary = json.loads(printed.output)
    assert f'data-checked="{summary["checked"]}"' in shown
    for s in summary["shortfalls"]:
        row = _text(shown.split(f'data-shortfall="{s["task_id"]}"')[1].split("</tr>")[0])
        for cents in (s["payout"], s["required"], s["shortfall"]):
            assert format_cents(cents) in row
        assert s["rule"] in row and str(s["minutes_worked"]) in row and s["completed_local"] in row


def test_the_compliance_page_opens_on_a_default_and_names_a_bad_month(operator, app, platform):
    fresh = operator.get("/console/compliance")
    html = fresh.get_data(as_text=True)
    assert fresh.status_code == 200 and "Not a valid choice" not in html
    assert re.search(r'<option selected value="nyc">|<option value="nyc" selected>', html)  # a region with a minimum
    assert 'data-verdict="clean"' in html
    bad = operator.get("/console/compliance?region=seattle&month=2026-13")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "is not a month" in page and 'aria-invalid="true"' in page
    nowhere = operator.get("/console/compliance?region=atlantis&month=2026-12")
    assert nowhere.status_code == 422 and "Not a valid choice" in nowhere.get_data(as_text=True)
    with platform.uow() as uow:
        create_user(uow.session, "client@example.test", PASSWORD, "client")
        uow.commit()
    other = app.test_client()
    token = csrf(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"email": "client@example.test", "password": PASSWORD, "csrf_token": token})
    assert other.get("/console/compliance", headers={"Accept": "text/html"}).status_code == 403
    assert app.test_client().get("/console/compliance").status_code == 302  # signed out: to the sign-in page


# -- finding 7: the market page -------------------------------------------------------------------


def _points(svg: str, series: str) -> list[float]:
    """The x (percent of the width) of each mark a series has in a chart."""
    return [float(x) for x in re.findall(rf'<use [^>]*x="([0-9.]+)%"[^>]*data-series="{series}"', svg)]


def _chart(html: str, key: str) -> str:
    return html.split(f'data-chart="{key}"')[1].split("</figure>")[0]


@pytest.fixture
def market(platform):
    """Springfield: Ann works yard work and moving help. Returns the people and a pipeline with the
    pricing, payments and market workers."""
    with platform.uow() as uow:
        client = create_user(uow.session, "casey@example.test", PASSWORD, "client").id
        ann = create_user(uow.session, "ann@example.test", PASSWORD, "tasker").id
        set_skills(uow, ann, ["springfield"], [SkillSpec("yard-work", 2400), SkillSpec("moving-help", 2400)])
        uow.session.add(PayoutAccount(tasker_id=ann, account_id="acct_null_ann"))
        uow.commit()
    pipeline = Pipeline(platform, ["pricing", "payments", "market"])
    yield {"client": client, "ann": ann}, pipeline
    pipeline.close()


def _posted(platform, pipeline, client: int, category: str = "yard-work") -> int:
    draft = TaskDraft(category, "springfield", "Tidy up", "", 60, utcnow() + timedelta(days=3))
    task_id = _run(platform, post_task, client, draft).id
    pipeline.drain()
    book(platform, task_id)
    return task_id


def test_the_market_page_opens_on_a_default_and_refuses_a_bad_choice(operator, platform, market):
    people, pipeline = market
    empty = operator.get("/console/market")  # the header's link: no choice made
    assert empty.status_code == 200 and "Not a valid choice" not in empty.get_data(as_text=True)
    _posted(platform, pipeline, people["client"], "moving-help")
    pipeline.drain()
    page = operator.get("/console/market")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Not a valid choice" not in html
    assert re.search(r'<option selected value="moving-help">', html)  # the busiest, where the data is
    assert re.search(r'<option selected value="springfield">', html)
    today = local_day(utcnow(), ZoneInfo("America/Chicago"))
    # The days with data (the floors' first version, today), not 90 days squeezing them to the right.
    assert f'name="first" type="date" value="{today}"' in html and f'name="to" type="date" value="{today}"' in html
    assert _points(_chart(html, "postings"), "priced") == [50.0]  # today's value in the middle, not the edge
    bad = operator.get("/console/market?category=space-walks&region=springfield")
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    dates = operator.get("/console/market?category=yard-work&region=springfield&first=2026-13-01")
    assert dates.status_code == 422
    assert operator.get("/console/market.csv").status_code == 200  # the CSV opens on the same default


def test_a_change_splits_before_and_after_at_its_moment_and_the_floor_steps_up(operator, platform, market):
    people, pipeline = market
    with platform.uow() as uow:  # the first floor took effect three hours ago (earlier today or yesterday)
        v1 = uow.session.exec(
            select(FloorRuleVersion).where(
                FloorRuleVersion.category == "yard-work", FloorRuleVersion.region == "springfield"
            )
        ).one()
        v1.effective_from = utcnow() - timedelta(hours=3)
        uow.session.add(v1)
        uow.commit()
    earlier = [_posted(platform, pipeline, people["client"]) for _ in range(3)]
    for task_id in earlier:
        _run(platform, accept_task, _user(platform, people["ann"]), task_id, NO_WINDOW)
    with platform.uow() as uow:
        set_floor(
            uow,
            FloorChange("yard-work", "springfield", "Autumn", {"hourly_floor": 2600}, summary="Yard work to $26"),
            None,
            "ops@example.test",
        )
        uow.commit()
    later = _posted(platform, pipeline, people["client"])
    pipeline.drain()
    html = operator.get("/console/market?category=yard-work&region=springfield").get_data(as_text=True)
    panel = _text(html.split('data-floor-change="2"')[1].split("</section>")[0])
    # The three priced earlier (under version 1) are before; the one priced after the change is after.
    assert "100% (3 of 3 priced)" in panel and "0% (0 of 1 priced)" in panel, panel
    assert "(0 of 0 priced)" not in panel
    pay = _chart(html, "pay")
    marker = float(re.search(r'data-marker="v2">.*?<line x1="([0-9.]+)%"', pay, re.S).group(1))
    floor = re.search(r'<polyline data-series="hourly floor" points="([^"]+)"', pay).group(1)
    xs = [float(p.split(",")[0]) / 10 for p in floor.split()]
    ys = [float(p.split(",")[1]) for p in floor.split()]
    assert xs[0] < marker - 1 and len(set(ys)) == 2 and ys[0] > ys[-1]  # 24.00, then a step up to 26.00
    assert later


def test_a_task_given_back_is_no_longer_filled(operator, platform, market):
    people, pipeline = market
    task_id = _posted(platform, pipeline, people["client"], "moving-help")
    ann = _user(platform, people["ann"])
    _run(platform, accept_task, ann, task_id, NO_WINDOW)
    pipeline.drain()
    html = operator.get("/console/market?category=moving-help&region=springfield").get_data(as_text=True)
    row = _cells(html.split("<tbody>")[-1].split("</tr>")[0])
    assert "<td>1</td><td>1</td><td>100%</td>" in row  # priced, filled, fill rate
    _run(platform, cancel_by_tasker, ann, task_id, "My van broke down")
    pipeline.drain()
    html = operator.get("/console/market?category=moving-help&region=springfield").get_data(as_text=True)
    row = _cells(html.split("<tbody>")[-1].split("</tr>")[0])
    assert "<td>1</td><td>0</td><td>0%</td>" in row, row
    assert _points(_chart(html, "fill-rate"), "fill rate") == [50.0]
    assert "100%</title>" not in _chart(html, "fill-rate")


def _cells(row: str) -> str:
    """A table row's cells without their attributes (each carries its column's label for phones)."""
    return re.sub(r"<td [^>]*>", "<td>", row)


def test_equal_series_stay_visible_and_tomorrow_is_never_drawn(operator, platform, market):
    people, pipeline = market
    _posted(platform, pipeline, people["client"])
    pipeline.drain()
    today = local_day(utcnow(), ZoneInfo("America/Chicago"))
    with platform.uow() as uow:  # one tip, one question, one answer and one endorsement today (Springfield's day)
        uow.session.add(
            MarketCommunityDay(
                category="yard-work",
                zone="America/Chicago",
                day=today,
                tips=1,
                questions=1,
                answers=1,
                endorsements=1,
            )
        )
        uow.commit()
    span = f"&first={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    html = operator.get(f"/console/market?category=yard-work&region=springfield{span}").get_data(as_text=True)
    community = _chart(html, "community")
    styles = set()
    for name in ("tips", "questions", "answers", "endorsements"):
        assert f'data-legend="{name}"' in community  # each named in the legend...
        line = re.search(rf'<polyline data-series="{name}"[^>]*>', community).group(0)
        width = re.search(r'stroke-width="([0-9.]+)"', line).group(1)
        dash = re.search(r'stroke-dasharray="([^"]*)"', line)
        styles.add((width, dash.group(1) if dash else ""))
        assert _points(community, name) == [50.0]  # ...and marked on today
    assert len(styles) == 4  # four widths and dashes: a later line runs inside an earlier one, never hides it
    # Three days, tomorrow the last: its middle (83.3%) carries no value, not even 0.
    postings = _chart(html, "postings")
    assert _points(postings, "priced") == [50.0]
    line = re.search(r'<polyline data-series="priced" points="([^"]+)"', postings).group(1)
    assert max(float(p.split(",")[0]) for p in line.split()) <= 500  # the line stops at today's middle
    floor = re.search(r'<polyline data-series="hourly floor" points="([^"]+)"', _chart(html, "pay")).group(1)
    assert max(float(p.split(",")[0]) for p in floor.split()) < 667  # the floor stops now, before tomorrow
