"""Closing an account, on each backbone: a tasker with a task history, messages, reviews and a payout,
and the client of that task (with an address), close their accounts over the API and the web page.
Then no table and no topic (the embedded log, or Kafka's topics) holds either person's email, name,
the address or a message's words; the ledger still sums to zero, `floorboard audit` is clean, and
replayed projections equal the live ones. Refusals say why, and the account cannot sign in again."""

from __future__ import annotations

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from api import create_app
from events.retention import policy_from
from events.topics import all_topic_names
from marketplace.accounts.models import User
from marketplace.audit import audit
from marketplace.notifications.webhooks import WebhookEndpoint
from marketplace.payments.ledger import balances, task_totals
from marketplace.payments.payouts import pay_outstanding
from marketplace.tasks.models import Task
from marketplace.tasks.rebooking import my_taskers, rebooking_tasker
from tests.e2e.test_marketplace_flow import post_tips, priced_and_booked, skilled
from tests.support import NO_WINDOW, ApiHelper, Pipeline, csrf, seeded
from workers.replay import PROJECTIONS, replay

PASSWORD = "correct horse battery"
CLIENT_NAME, TASKER_NAME = "Zelda Quillfeather", "Quentin Marlowe-Vex"
ADDRESS, ACCESS = "77 Wisteria Lane, Springfield", "the key is under the gnome"
WORDS = ["the purple gate squeaks on Tuesdays", "bringing my own rake tomorrow"]
DRAIN_S = 180  # eight groups on a shared machine: wait longer than the default (nothing asserts on time)
GROUPS = ["pricing", "reputation", "tips", "payments", "reviews", "notifications", "network", "market"]


@pytest.fixture(params=["embedded+sqlite", "kafka+postgres"])
def market(request, make_platform):
    transport, database = request.param.split("+")
    url = request.getfixturevalue(f"{database}_url")
    kafka = request.getfixturevalue("kafka_server") if transport == "kafka" else None
    platform = make_platform(url, kafka, priority_window=NO_WINDOW)
    seeded(platform, demo_users=False)
    app = create_app({"TESTING": True}, platform=platform)
    pipeline = Pipeline(platform, GROUPS)
    yield ApiHelper(app.test_client(), platform), pipeline, app
    pipeline.close()


def _named(platform, who: dict, name: str) -> None:
    with platform.uow() as uow:
        uow.session.get_one(User, who["id"]).display_name = name
        uow.commit()


def _history(api, pipeline) -> tuple[dict, dict, int]:
    """A client and a tasker with a completed task at the client's address, a conversation, a
    review each way, a tip by the tasker voted on, a webhook endpoint and a payout made."""
    client = api.signup("client", email="zelda.q@example.test")
    tasker = api.signup("tasker", email="quentin.mv@example.test")
    voter = api.signup("tasker")
    _named(api.platform, client, CLIENT_NAME)
    _named(api.platform, tasker, TASKER_NAME)
    skilled(api, tasker)
    with api.platform.uow() as uow:  # the tasker's app hears of messages
        uow.session.add(
            WebhookEndpoint(tasker_id=tasker["id"], url="https://hooks.example/in", kinds="message.sent", secret="s3")
        )
        uow.commit()
    r = api.client.post("/api/v1/taskers/me/payouts", headers=api.headers(tasker))
    assert r.status_code == 201, r.json
    task_id, _ = priced_and_booked(api, pipeline, client, 60)
    with api.platform.uow() as uow:  # (the API takes them too; set here to keep the posting short)
        task = uow.session.get_one(Task, task_id)
        task.address, task.access_notes = ADDRESS, ACCESS
        uow.commit()
    post = api.client.post
    assert post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker)).status_code == 200
    assert post(f"/api/v1/tasks/{task_id}/start", headers=api.headers(tasker)).status_code == 200
    for who, words in ((client, WORDS[0]), (tasker, WORDS[1])):
        r = post(f"/api/v1/tasks/{task_id}/messages", headers=api.headers(who), json={"body": words})
        assert r.status_code == 201, r.json
    r = post(f"/api/v1/tasks/{task_id}/complete", headers=api.headers(tasker), json={"minutes_worked": 60})
    assert r.status_code == 200, r.json
    for who in (client, tasker):
        r = post(f"/api/v1/tasks/{task_id}/review", headers=api.headers(who), json={"rating": 5, "comment": "Good."})
        assert r.status_code in (200, 201), r.json
    post_tips(api, tasker, voter)
    pipeline.drain(timeout=DRAIN_S)
    with api.platform.uow() as uow:
        pay_outstanding(uow)
        uow.commit()
    pipeline.drain(timeout=DRAIN_S)
    with api.platform.uow() as uow:
        assert balances(uow.session, task_id).get("tasker_paid_out", 0) > 0, "the tasker was paid out"
    return client, tasker, task_id


def _signed_in(app, email: str):
    web = app.test_client()
    login = web.get("/login")
    answer = web.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(login.get_data(as_text=True))}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return web


def _everything(platform) -> str:
    """Every value of every table, and every event of every topic, as one text."""
    found: list[str] = []
    with platform.uow() as uow:
        for table in SQLModel.metadata.sorted_tables:
            for row in uow.session.execute(sa_select(table)).all():
                found += [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row]
    for topic in all_topic_names():
        found += [r.value.decode("utf-8", "replace") for r in platform.transport.read_topic(topic)]
    return "\n".join(found)


def _projections(platform) -> dict:
    """Every table of every projection `floorboard replay` rebuilds, row by row."""
    tables = {model for projection in PROJECTIONS.values() for model in projection.tables}
    with platform.uow() as uow:
        return {
            model.__tablename__: sorted(
                (tuple(str(v) for v in row) for row in uow.session.execute(sa_select(model.__table__)).all())
            )
            for model in tables
        }


def test_a_closed_account_leaves_no_email_name_address_or_words_in_any_table_or_topic(market):
    api, pipeline, app = market
    client, tasker, task_id = _history(api, pipeline)
    before = _everything(api.platform)
    secrets = [client["email"], tasker["email"], CLIENT_NAME, TASKER_NAME, ADDRESS, ACCESS, *WORDS]
    assert all(s in before for s in secrets), [s for s in secrets if s not in before]  # the search finds them

    # The tasker closes over the API, the client on the web page.
    r = api.client.get("/api/v1/me/close", headers=api.headers(tasker))
    assert r.status_code == 200 and r.json == {"can_close": True, "reasons": []}
    wrong = api.client.post("/api/v1/me/close", headers=api.headers(tasker), json={"password": "not it at all"})
    assert wrong.status_code == 422 and "password" in wrong.json["errors"]["json"]
    r = api.client.post("/api/v1/me/close", headers=api.headers(tasker), json={"password": PASSWORD})
    assert r.status_code == 200 and r.json["records_kept_until"] > r.json["closed_at"]
    assert api.client.get("/api/v1/me/close", headers=api.headers(tasker)).status_code == 401  # the token is gone
    # The tasker alone is gone, with the conversation (both sides) and the copies that quoted them
    # in the client's emails; the client, still here, is not touched.
    between = _everything(api.platform)
    assert [s for s in (tasker["email"], TASKER_NAME, *WORDS) if s.lower() in between.lower()] == []
    assert client["email"] in between and ADDRESS in between and CLIENT_NAME in between
    web = _signed_in(app, client["email"])
    page = web.get("/account/close")
    assert page.status_code == 200 and "Close my account for good" in page.get_data(as_text=True)
    done = web.post("/account/close", data={"password": PASSWORD, "csrf_token": csrf(page.get_data(as_text=True))})
    assert done.status_code == 303, done.get_data(as_text=True)
    assert web.get("/account/close").status_code == 302  # signed out
    pipeline.drain(timeout=DRAIN_S)

    after = _everything(api.platform)
    assert [s for s in secrets if s.lower() in after.lower()] == []
    with api.platform.uow() as uow:
        assert set(task_totals(uow.session).values()) == {0}, "the ledger sums to zero"
        assert balances(uow.session, task_id).get("tasker_paid_out", 0) > 0, "the payout record stays"
        former = uow.session.get_one(User, tasker["id"])
        assert former.display_name == "A former tasker" and former.email.endswith("@closed.invalid")
    checks = audit(
        api.platform.uow,
        api.platform.transport,
        api.platform.settings.sweep_posted_after_s,
        24.0,
        retention=policy_from(api.platform.settings),
    )
    assert [(c.name, c.misses[:3]) for c in checks if not c.ok] == []  # what `floorboard audit` checks
    for who in (client, tasker):  # nobody signs in as them again
        r = api.client.post("/api/v1/auth/token", json={"email": who["email"], "password": PASSWORD})
        assert r.status_code == 401

    live = _projections(api.platform)
    assert live["reputation"] and live["board_entries"] and live["market_tasks"]
    for name in PROJECTIONS:
        replay(api.platform, name)
    assert _projections(api.platform) == live


def test_closure_is_refused_with_every_reason_while_a_task_is_open_and_money_is_held(market):
    api, pipeline, app = market
    client, tasker = api.signup("client"), api.signup("tasker")
    skilled(api, tasker)
    task_id, _ = priced_and_booked(api, pipeline, client, 60)
    r = api.client.get("/api/v1/me/close", headers=api.headers(client))
    assert r.json["can_close"] is False
    assert any("Rake the leaves" in reason and "still open" in reason for reason in r.json["reasons"])
    assert any("card payment" in reason for reason in r.json["reasons"])
    refused = api.client.post("/api/v1/me/close", headers=api.headers(client), json={"password": PASSWORD})
    assert refused.status_code == 409 and refused.json["errors"]["json"]["account"] == r.json["reasons"]
    assert api.client.post(f"/api/v1/tasks/{task_id}/accept", headers=api.headers(tasker)).status_code == 200
    held = api.client.get("/api/v1/me/close", headers=api.headers(tasker)).json
    assert held["can_close"] is False and any(
        "The task you hold, “Rake the leaves”" in reason for reason in held["reasons"]
    )
    with api.platform.uow() as uow:  # nothing was touched
        assert uow.session.get_one(User, client["id"]).email == client["email"]
    # The web page shows the same reasons and no form.
    web = _signed_in(app, client["email"])
    page = web.get("/account/close").get_data(as_text=True)
    assert "It cannot be closed yet" in page and "Close my account for good" not in page


def test_an_operator_account_is_not_closed_here(market):
    api, _, _ = market
    operator = api.signup("operator")
    r = api.client.get("/api/v1/me/close", headers=api.headers(operator))
    assert r.json["can_close"] is False and "operator" in r.json["reasons"][0]


def test_a_wrong_password_on_the_page_shows_the_form_again_with_the_field_error(market):
    api, _, app = market
    client = api.signup("client")
    web = _signed_in(app, client["email"])
    page = web.get("/account/close").get_data(as_text=True)
    r = web.post("/account/close", data={"password": "nope nope nope", "csrf_token": csrf(page)})
    assert r.status_code == 422 and "That is not your password." in r.get_data(as_text=True)
    with api.platform.uow() as uow:
        assert uow.session.exec(select(User).where(User.id == client["id"])).one().is_active


def test_support_closes_an_account_from_the_command_line_with_the_same_refusals(platform, monkeypatch):
    from click.testing import CliRunner

    from cli import cli
    from marketplace.accounts.users import create_user

    with platform.uow() as uow:
        create_user(uow.session, "asked@example.test", PASSWORD, "client", "Asked To Go")
        create_user(uow.session, "op@example.test", PASSWORD, "operator")
        uow.commit()
    monkeypatch.setenv("DATABASE_URL", platform.settings.database_url)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    run = CliRunner().invoke
    assert run(cli, ["close-account", "nobody@example.test", "--yes"]).exit_code == 1
    refused = run(cli, ["close-account", "op@example.test", "--yes"])
    assert refused.exit_code == 1 and "operator" in refused.output
    assert run(cli, ["close-account", "asked@example.test", "--check"]).exit_code == 0
    closed = run(cli, ["close-account", "asked@example.test", "--yes"])
    assert closed.exit_code == 0 and "closed client" in closed.output, closed.output
    with platform.uow() as uow:
        gone = uow.session.exec(select(User).where(User.email == "asked@example.test")).first()
        assert gone is None


def test_wrong_passwords_are_limited_like_sign_ins_on_the_page_and_the_api_together(market):
    api, _, app = market
    client = api.signup("client")
    web = _signed_in(app, client["email"])
    token = csrf(web.get("/account/close").get_data(as_text=True))
    answers = [
        web.post("/account/close", data={"password": "guess", "csrf_token": token}).status_code for _ in range(5)
    ]
    for _ in range(5):
        r = api.client.post("/api/v1/me/close", headers=api.headers(client), json={"password": "another guess"})
        answers.append(r.status_code)
    assert answers == [422] * 10  # RATELIMIT_LOGIN: 10 a minute
    r = api.client.post("/api/v1/me/close", headers=api.headers(client), json={"password": PASSWORD})
    assert r.status_code == 429  # even the right one, until the minute is over
    with api.platform.uow() as uow:
        assert uow.session.get_one(User, client["id"]).is_active


def test_a_payout_still_owed_refuses_closure_and_a_closed_tasker_is_not_offered_for_booking_again(market):
    api, pipeline, _ = market
    client, tasker = api.signup("client"), api.signup("tasker")
    skilled(api, tasker)
    task_id, _ = priced_and_booked(api, pipeline, client, 60)
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 60})):
        r = api.client.post(f"/api/v1/tasks/{task_id}/{step}", headers=api.headers(tasker), json=body)
        assert r.status_code == 200, (step, r.json)
    pipeline.drain(timeout=DRAIN_S)
    owed = api.client.get("/api/v1/me/close", headers=api.headers(tasker)).json
    assert owed["can_close"] is False  # no payout account yet: the ledger still owes them
    assert owed["reasons"] == [
        "We still owe you the payout for “Rake the leaves”: set up payouts (or wait for the transfer) first."
    ]
    with api.platform.uow() as uow:
        assert rebooking_tasker(uow.session, client["id"], tasker["id"]) is not None
        assert [t["tasker_id"] for t in my_taskers(uow.session, client["id"])] == [tasker["id"]]
    assert api.client.post("/api/v1/taskers/me/payouts", headers=api.headers(tasker)).status_code == 201
    with api.platform.uow() as uow:
        pay_outstanding(uow)
        uow.commit()
    pipeline.drain(timeout=DRAIN_S)
    r = api.client.post("/api/v1/me/close", headers=api.headers(tasker), json={"password": PASSWORD})
    assert r.status_code == 200, r.json
    with api.platform.uow() as uow:
        assert rebooking_tasker(uow.session, client["id"], tasker["id"]) is None
        assert my_taskers(uow.session, client["id"]) == []
