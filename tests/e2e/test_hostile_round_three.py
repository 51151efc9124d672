"""The third hostile round's five defects, each reproduced as it was found: a page number in
superscript digits, the payout return address from a Host header, a tenfold floor cut with no
confirmation, the audit failing on a task cancelled before it was priced, and the posting and
signup limits spent by merely opening their forms."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api import create_app
from cli import cli
from marketplace.accounts.users import create_user
from marketplace.tasks.models import Task, TaskStatus
from tests.support import ApiHelper, Pipeline, csrf, enrol_two_factor, make_tasker, pass_two_factor, seeded

PASSWORD = "correct horse battery"
NOT_ASCII_NUMBERS = ["²", "①", "¹²", "٣", "１", "߂", "𝟚", "9" * 5000]


@pytest.fixture
def web(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def sign_in(web, email: str):
    token = csrf(web.get("/login").get_data(as_text=True))
    r = pass_two_factor(web, web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}))
    assert r.status_code == 302, r.get_data(as_text=True)
    return web


def account(platform, email: str, role: str) -> str:
    with platform.uow() as uow:
        create_user(uow.session, email, PASSWORD, role)
        uow.commit()
    if role == "operator":
        enrol_two_factor(platform, email)  # operators must have it
    return email


# 1. Digits that str.isdigit() accepts and int() refuses ----------------------------------------


@pytest.mark.parametrize("page", NOT_ASCII_NUMBERS)
def test_a_board_page_in_unusual_digits_is_the_first_page_not_a_500(client, page):
    r = client.get("/boards/yard-work", query_string={"page": page})
    assert r.status_code == 200, r.status_code


@pytest.mark.parametrize("page", NOT_ASCII_NUMBERS)
def test_a_feed_page_in_unusual_digits_is_the_first_page_not_a_500(web, platform, page):
    make_tasker(platform, "t@example.test", {"yard-work": 2400}, ["springfield"])
    sign_in(web, "t@example.test")
    r = web.get("/feed", query_string={"page": page})
    assert r.status_code == 200, r.status_code


@pytest.mark.parametrize("rebook", NOT_ASCII_NUMBERS)
def test_a_rebooking_or_addressee_in_unusual_digits_is_ignored_not_a_500(web, platform, rebook):
    sign_in(web, account(platform, "c@example.test", "client"))
    r = web.get("/tasks/new", query_string={"rebook": rebook})
    assert r.status_code == 200, r.status_code
    r = web.get(
        "/tasks/preview",
        query_string={
            "category": "yard-work",
            "region": "springfield",
            "estimated_minutes": "60",
            "addressed_to": rebook,
        },
    )
    assert r.status_code == 200, r.status_code
    page = web.get("/tasks/new").get_data(as_text=True)
    form = {
        "csrf_token": csrf(page),
        "category": "yard-work",
        "region": "springfield",
        "title": "Rake",
        "estimated_minutes": "60",
        "starts_at": "2030-06-01T09:00",
        "addressed_to": rebook,
    }
    r = web.post("/tasks/new", data=form)
    assert r.status_code in (302, 303, 422), r.status_code


@pytest.mark.parametrize("minutes", ["²", "①", "¹²"])
def test_a_preview_with_minutes_in_unusual_digits_is_a_problem_not_a_500(web, platform, minutes):
    sign_in(web, account(platform, "c@example.test", "client"))
    r = web.get(
        "/tasks/preview", query_string={"category": "yard-work", "region": "springfield", "estimated_minutes": minutes}
    )
    assert r.status_code == 200 and "whole minutes" in r.get_data(as_text=True)


@pytest.mark.parametrize("value", ["²", "①", "¹²"])
def test_the_cli_refuses_a_floor_in_unusual_digits_by_name(platform, value):
    env = {"DATABASE_URL": platform.settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": ""}
    r = CliRunner().invoke(
        cli, ["floors", "set", "yard-work", "springfield", f"hourly_floor={value}", "--reason", "x"], env=env
    )
    assert r.exit_code == 1 and "whole number" in r.output, r.output


# 2. The payout return address never comes from the Host header (already fixed; kept proven) -----


def test_the_payout_return_address_is_the_public_url_whatever_the_host_header(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, public_url="https://floorboard.example"))
    asked: list[tuple[str, str]] = []

    def onboarding_link(account_id, refresh_url, return_url, key):
        asked.append((refresh_url, return_url))
        return "https://connect.stripe.test/setup/abc"

    platform.gateway.onboarding_link = onboarding_link  # type: ignore[method-assign]
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    tasker = api.signup("tasker")
    for host in ("evil.example", "evil.example:443", "floorboard.example.evil.example"):
        r = api.client.post(
            "/api/v1/taskers/me/payouts",
            headers={**api.headers(tasker), "Host": host, "X-Forwarded-Host": "evil.example"},
        )
        assert r.status_code == 201 and r.json["onboarding_url"] == "https://connect.stripe.test/setup/abc"
    assert (
        asked
        == [
            (
                "https://floorboard.example/me/earnings?onboarding=expired",
                "https://floorboard.example/me/earnings?onboarding=done",
            )
        ]
        * 3
    )


# 3. A large cut needs the same confirmation as a large rise ---------------------------------------


def test_the_api_refuses_a_tenfold_cut_without_confirm(client, api):
    op = api.headers(api.signup("operator"))
    url = "/api/v1/floors/yard-work/springfield"
    r = client.put(url, json={"hourly_floor": 240, "reason": "typo"}, headers=op)
    assert r.status_code == 422, r.json
    message = r.json["errors"]["json"]["hourly_floor"][0]
    assert "confirm" in message and "a third" in message
    r = client.put(url, json={"hourly_floor": 800, "reason": "a third is fine"}, headers=op)
    assert r.status_code == 201, r.json
    r = client.put(url, json={"hourly_floor": 80, "reason": "meant it", "confirm": True}, headers=op)
    assert r.status_code == 201 and r.json["hourly_floor"] == 80


def test_the_console_refuses_a_tenfold_cut_without_confirm(web, platform):
    sign_in(web, account(platform, "ops@example.test", "operator"))
    page = web.get("/console/floors/yard-work/springfield").get_data(as_text=True)
    assert "under a third" in page  # the confirm box says it covers cuts too
    form = {
        "csrf_token": csrf(page),
        "hourly_floor": "240",
        "per_task_floor": "1500",  # as it is
        "min_billable_minutes": "60",
        "billing_increment_minutes": "15",
        "service_fee_bps": "1000",
        "trust_fee_bps": "200",
        "tasker_commission_bps": "0",
        "reason": "typo",
    }
    r = web.post("/console/floors/yard-work/springfield", data=form)
    assert r.status_code == 422 and "confirm" in r.get_data(as_text=True)
    assert web.post("/console/floors/yard-work/springfield", data={**form, "confirm": "y"}).status_code == 302


def test_the_cli_refuses_a_tenfold_cut_without_confirm(platform):
    env = {"DATABASE_URL": platform.settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": ""}
    run = CliRunner()
    change = ["floors", "set", "yard-work", "springfield", "hourly_floor=240", "--reason", "typo"]
    r = run.invoke(cli, change, env=env)
    assert r.exit_code == 1 and "confirm" in r.output and "a third" in r.output, r.output
    assert "yard-work,springfield,2400" in run.invoke(cli, ["floors", "export"], env=env).output
    r = run.invoke(cli, [*change, "--confirm"], env=env)
    assert r.exit_code == 0, r.output


def test_a_csv_import_with_a_tenfold_cut_needs_confirm(platform, tmp_path):
    env = {"DATABASE_URL": platform.settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": ""}
    run = CliRunner()
    exported = run.invoke(cli, ["floors", "export"], env=env).output
    path = tmp_path / "floors.csv"
    path.write_text(exported.replace("yard-work,springfield,2400", "yard-work,springfield,240"))
    r = run.invoke(cli, ["floors", "import", str(path), "--reason", "typo"], env=env)
    assert r.exit_code == 1 and "confirm" in r.output, r.output
    r = run.invoke(cli, ["floors", "import", str(path), "--reason", "meant it", "--confirm"], env=env)
    assert r.exit_code == 0, r.output


# 4. The audit after a client cancels a task the pricing stage had not reached -----------------------


def _audit(platform):
    env = {"DATABASE_URL": platform.settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": ""}
    return CliRunner().invoke(cli, ["audit"], env=env)


def test_the_audit_passes_after_a_client_cancels_a_task_not_priced_yet(api, platform):
    customer = api.signup("client")
    waiting = api.post_task(customer).json["id"]
    r = api.client.post(f"/api/v1/tasks/{waiting}/cancel", json={}, headers=api.headers(customer))
    assert r.status_code == 200, r.json
    priced = api.post_task(customer, title="Mow the lawn").json["id"]
    pipeline = Pipeline(platform, ["pricing"])  # the stage reads both postings; the cancelled one stays unpriced
    try:
        pipeline.drain()
    finally:
        pipeline.close()
    r = api.client.post(f"/api/v1/tasks/{priced}/cancel", json={}, headers=api.headers(customer))
    assert r.status_code == 200, r.json
    with platform.uow() as uow:
        assert uow.session.get_one(Task, waiting).status == TaskStatus.cancelled
        assert uow.session.get_one(Task, waiting).priced_at is None
    result = _audit(platform)
    assert result.exit_code == 0, result.output
    assert "MISSED" not in result.output


def test_the_audit_still_names_a_priced_then_cancelled_task_with_no_tasks_priced(api, platform):
    from sqlmodel import col, delete

    from events.tables import EventLogRow

    customer = api.signup("client")
    task_id = api.post_task(customer).json["id"]
    api.price_pending()
    assert api.client.post(f"/api/v1/tasks/{task_id}/cancel", json={}, headers=api.headers(customer)).status_code == 200
    with platform.uow() as uow:
        uow.session.exec(delete(EventLogRow).where(col(EventLogRow.topic) == "tasks.priced"))  # type: ignore[call-overload]
        uow.commit()
    result = _audit(platform)
    assert result.exit_code == 1 and f"task {task_id} (cancelled) has 0 tasks.priced, not 1" in result.output


# 5. Opening a form spends no limit; only a submission counts -------------------------------------


def test_opening_the_signup_form_spends_no_signup_attempt(app, web):
    app.config.update(RATELIMIT_SIGNUP="3 per hour")
    for _ in range(10):
        assert web.get("/signup").status_code == 200
    for n in range(3):
        token = csrf(web.get("/signup").get_data(as_text=True))
        data = {"email": f"new{n}@example.test", "password": PASSWORD, "confirm": PASSWORD, "role": "client"}
        data["csrf_token"] = token
        assert web.post("/signup", data=data).status_code == 302
    token = csrf(web.get("/signup").get_data(as_text=True))  # still opens; the fourth submission is refused
    data = {
        "email": "new9@example.test",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "role": "client",
        "csrf_token": token,
    }
    assert web.post("/signup", data=data).status_code == 429


def test_opening_the_posting_form_spends_no_posting(app, web, platform):
    app.config.update(RATELIMIT_POSTING="2 per minute")
    sign_in(web, account(platform, "c@example.test", "client"))
    for _ in range(10):
        assert web.get("/tasks/new").status_code == 200
    form = {
        "category": "yard-work",
        "region": "springfield",
        "title": "Rake",
        "estimated_minutes": "60",
        "starts_at": "2030-06-01T09:00",
    }
    preview = {**form, "action": "preview", "csrf_token": csrf(web.get("/tasks/new").get_data(as_text=True))}
    for _ in range(5):  # a preview without JavaScript posts nothing
        assert web.post("/tasks/new", data=preview).status_code == 200
    for n in range(2):
        token = csrf(web.get("/tasks/new").get_data(as_text=True))
        r = web.post("/tasks/new", data={**form, "title": f"Rake {n}", "csrf_token": token})
        assert r.status_code in (302, 303), r.get_data(as_text=True)
    token = csrf(web.get("/tasks/new").get_data(as_text=True))
    assert web.post("/tasks/new", data={**form, "title": "Rake 9", "csrf_token": token}).status_code == 429
