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

from cli import cli
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.payments.models import PayoutAccount
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.adjustments import dispute_adjustment
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.models import Task
from marketplace.tasks.posting import TaskDraft, post_task
from pricing.money import format_cents
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, book, csrf, seeded

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
