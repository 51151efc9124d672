"""Download my data (issue 34): a tasker with a rich history (a client's task worked and reviewed
both ways, messages with two clients, a payout, an endorsement given and one received, a tip, a
guide, a question and an answer) asks for an archive on the API; the exports worker builds it
kind by kind (its progress on the page and the API); an email brings a link that works once and
expires. The archive holds every kind, and nothing of anyone else's: never another person's
message, nor a client's address or description, nor another person's email address.

Over 400 lines on purpose: one feature, its tests sharing the tasker's rich history built at its
top."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from api import create_app
from marketplace.accounts.models import User
from marketplace.accounts.tokens import issue_token
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.community.guides import create_guide
from marketplace.community.models import Reputation
from marketplace.community.questions import answer_question, ask_question
from marketplace.community.tips import post_tip
from marketplace.conversations.messages import send_message
from marketplace.data_export import jobs
from marketplace.data_export.archive import KINDS
from marketplace.data_export.models import DataExport, ExportStatus
from marketplace.network.connections import accept_connection, request_connection
from marketplace.network.endorsements import endorse
from marketplace.notifications.kinds.data_export import EXPORT_READY
from marketplace.notifications.letters import render_row
from marketplace.notifications.models import Notification
from marketplace.payments.models import PayoutAccount
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.posting import TaskDraft, post_task
from marketplace.tasks.reviews import review_task
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, book, csrf, seeded
from workers import registry, workers_for
from workers.exports import ExportBuilder

PASSWORD = "correct horse battery"
START = datetime(2031, 6, 1, 16, 0, tzinfo=timezone.utc)
SECRETS_OF_OTHERS = [
    "ZED-PRIVATE-TEXT-99",  # a second client's message to the tasker
    "ANN-WORDS-42",  # the first client's message to the tasker
    "12 Elm Street",  # the client's address
    "Key under the blue pot",  # the client's access notes
    "ANN-DESCRIPTION-gate",  # the client's description
    "ann@example.test",
    "zed@example.test",
    "pam@example.test",
]


def _user(platform, email: str) -> User:
    with platform.uow() as uow:
        user = uow.session.exec(select(User).where(col(User.email) == email)).one()
        uow.session.expunge(user)
        return user


@pytest.fixture
def history(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    with platform.uow() as uow:
        ann, zed = (create_user(uow.session, f"{n}@example.test", PASSWORD, "client") for n in ("ann", "zed"))
        tom, pam = (create_user(uow.session, f"{n}@example.test", PASSWORD, "tasker") for n in ("tom", "pam"))
        for tasker in (tom, pam):
            set_skills(uow, tasker.id, ["springfield"], [SkillSpec("yard-work", 2400)])
            uow.session.add(
                Reputation(tasker_id=tasker.id, category="yard-work", completed=3, accepted=3, tier="trusted")
            )
        draft = TaskDraft(
            category="yard-work",
            region="springfield",
            title="ANN-TITLE-hedges",
            description="ANN-DESCRIPTION-gate",
            estimated_minutes=60,
            starts_at=START,
            address="12 Elm Street",
            access_notes="Key under the blue pot",
        )
        first = post_task(uow, ann.id, draft).id
        second = post_task(uow, zed.id, TaskDraft("yard-work", "springfield", "Zed's lawn", "", 60, START)).id
        tokens = {"tom": issue_token(uow.session, tom), "ann": issue_token(uow.session, ann)}
        uow.commit()
    pricing = Pipeline(platform, ["pricing"])
    pricing.drain()
    pricing.close()
    for task_id in (first, second):
        book(platform, task_id)
    with platform.uow() as uow:
        tom, ann, zed, pam = (uow.session.get_one(User, u.id) for u in (tom, ann, zed, pam))
        for task_id in (first, second):
            accept_task(uow, tom, task_id, NO_WINDOW)
        start_task(uow, tom, first, early=ANY_TIME)
        complete_task(uow, tom, first, 60, tolerance=ANY_TIME)
        send_message(uow, ann, first, "ANN-WORDS-42 the gate sticks")
        send_message(uow, tom, first, "TOM-REPLY-7 I will oil it")
        send_message(uow, zed, second, "ZED-PRIVATE-TEXT-99 my dog bites")
        send_message(uow, tom, second, "TOM-TO-ZED-3 noted")
        review_task(uow, ann, first, 5, "ANN-REVIEW-great hedges")
        review_task(uow, tom, first, 4, "TOM-REVIEW-kind client")
        tip = post_tip(uow, tom, "yard-work", "TOM-TIP-edges", "Edges first, then the middle.")
        question = ask_question(uow, tom, "yard-work", "TOM-QUESTION-shears", "Which shears for box?")
        answer_question(uow, pam, question.id, "PAM-ANSWER-topiary shears")
        answer_question(uow, tom, question.id, "TOM-ANSWER-or electric ones")
        create_guide(uow, tom, "yard-work", "TOM-GUIDE-hedges", "In order.", [("tip", tip.id)])
        request_connection(uow, pam, tom.id)
        accept_connection(uow, tom, pam.id)
        endorse(uow, pam, tom.id, "yard-work", "PAM-ENDORSES-tom")
        endorse(uow, tom, pam.id, "yard-work", "TOM-ENDORSES-pam")
        uow.session.add(PayoutAccount(tasker_id=tom.id, account_id="acct_tom"))
        uow.commit()
    work = Pipeline(platform, ["payments", "notifications", "reviews"])
    work.drain()
    work.close()
    app = create_app({"TESTING": True}, platform=platform)
    app.config["WTF_CSRF_ENABLED"] = True
    return platform, app, tokens, {"first": first, "second": second}


def _api(app, token: str):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _browser(app, email: str):
    web = app.test_client()
    token = csrf(web.get("/login").get_data(as_text=True))
    assert web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return web


def _build(platform) -> int:
    builder = ExportBuilder(platform)
    try:
        return builder.run_once()
    finally:
        builder.close()


def _link(platform, user_id: int) -> str:
    with platform.uow() as uow:
        rows = uow.session.exec(
            select(Notification).where(
                col(Notification.recipient_id) == user_id, col(Notification.kind) == EXPORT_READY
            )
        ).all()
    assert len(rows) == 1
    link = orjson.loads(rows[0].letter)["link"]
    assert link.startswith(f"{platform.settings.public_url}/account/data/download/")
    return link.removeprefix(platform.settings.public_url)


def _download(web, path: str):
    page = web.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return web.post(path, data={"csrf_token": csrf(page.get_data(as_text=True))})


def _archive(body: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {
            name.removesuffix(".json"): json.loads(archive.read(name))
            for name in archive.namelist()
            if name.endswith(".json")
        } | {"README": archive.read("README.txt").decode()}


def test_a_taskers_archive_holds_every_kind_and_nothing_of_anyone_else(history):
    platform, app, tokens, tasks = history
    tom = _user(platform, "tom@example.test")
    api = _api(app, tokens["tom"])
    asked = api.post("/api/v1/me/data-exports")
    assert asked.status_code == 202 and asked.json["status"] == "queued" and asked.json["download"] is None
    assert _build(platform) == 1
    export = api.get(f"/api/v1/me/data-exports/{asked.json['id']}").json
    assert export["status"] == "ready" and export["progress"] == export["steps"] == len(KINDS)
    assert export["download"] == f"POST /api/v1/me/data-exports/{export['id']}/download"

    web = _browser(app, "tom@example.test")
    answer = _download(web, _link(platform, tom.id))
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert answer.headers["Cache-Control"] == "no-store"
    text = answer.get_data()
    parts = _archive(text)
    assert set(parts) == {name for name, _ in KINDS} | {"README"}
    flat = json.dumps(parts, ensure_ascii=False)
    for secret in SECRETS_OF_OTHERS:
        assert secret not in flat, secret
    assert parts["profile"]["account"]["email"] == "tom@example.test"
    assert parts["profile"]["skills"] == [{"category": "yard-work", "rate": 2400}]
    assert [r["tier"] for r in parts["profile"]["reputation"]] == ["trusted"]
    assert parts["profile"]["two_factor_on"] is False and len(parts["profile"]["api_tokens"]) == 1
    assert not re.search(r"token_hash|id_hash|device_hash|secret", flat)  # never a key, only what and when
    assert {t["id"] for t in parts["tasks"]} == {tasks["first"], tasks["second"]}
    assert all(t["you_were"] == "tasker" and "title" not in t for t in parts["tasks"])
    sent = {m["body"] for m in parts["messages"] if m["direction"] == "sent"}
    assert sent == {"TOM-REPLY-7 I will oil it", "TOM-TO-ZED-3 noted"}
    received = [m for m in parts["messages"] if m["direction"] == "received"]
    assert len(received) == 2 and all(set(m) == {"id", "task_id", "sent_at", "direction", "from"} for m in received)
    assert [r["comment"] for r in parts["reviews"]["given"]] == ["TOM-REVIEW-kind client"]
    assert [r["comment"] for r in parts["reviews"]["received"]] == ["ANN-REVIEW-great hedges"]
    assert parts["payouts"]["payout_account"] == "acct_tom"
    assert any(e["task_id"] == tasks["first"] and e["account"] == "tasker_payable" for e in parts["payouts"]["entries"])
    assert parts["payments"] == []  # a tasker pays for nothing
    assert parts["notifications"] and all("body" not in n and "letter" not in n for n in parts["notifications"])
    assert [e["text"] for e in parts["endorsements"]["given"]] == ["TOM-ENDORSES-pam"]
    assert [e["text"] for e in parts["endorsements"]["received"]] == ["PAM-ENDORSES-tom"]
    assert [q["title"] for q in parts["questions_and_answers"]["questions"]] == ["TOM-QUESTION-shears"]
    assert [a["body_markdown"] for a in parts["questions_and_answers"]["answers"]] == ["TOM-ANSWER-or electric ones"]
    assert [t["title"] for t in parts["tips"]["tips"]] == ["TOM-TIP-edges"]
    assert [g["title"] for g in parts["tips"]["guides"]] == ["TOM-GUIDE-hedges"]
    assert [c["status"] for c in parts["network"]["connections"]] == ["accepted"]


def test_a_clients_archive_holds_her_own_words_and_never_the_taskers_messages(history):
    platform, app, tokens, tasks = history
    ann = _user(platform, "ann@example.test")
    assert _api(app, tokens["ann"]).post("/api/v1/me/data-exports").status_code == 202
    _build(platform)
    parts = _archive(_download(_browser(app, "ann@example.test"), _link(platform, ann.id)).get_data())
    flat = json.dumps(parts, ensure_ascii=False)
    for theirs in ("TOM-REPLY-7", "TOM-TO-ZED-3", "ZED-PRIVATE-TEXT-99", "tom@example.test", "zed@example.test"):
        assert theirs not in flat, theirs
    (task,) = parts["tasks"]
    assert task["you_were"] == "client" and task["address"] == "12 Elm Street"
    assert task["description"] == "ANN-DESCRIPTION-gate" and task["access_notes"] == "Key under the blue pot"
    assert [m["body"] for m in parts["messages"] if m["direction"] == "sent"] == ["ANN-WORDS-42 the gate sticks"]
    assert [p["task_id"] for p in parts["payments"]] == [tasks["first"]]
    assert parts["payments"][0]["amount_captured"] > 0
    assert [r["comment"] for r in parts["reviews"]["received"]] == ["TOM-REVIEW-kind client"]


def test_the_link_works_once_then_410_and_the_token_is_kept_only_hashed(history):
    platform, app, tokens, _ = history
    tom = _user(platform, "tom@example.test")
    export_id = _api(app, tokens["tom"]).post("/api/v1/me/data-exports").json["id"]
    _build(platform)
    path = _link(platform, tom.id)
    token = path.rsplit("/", 1)[1]
    with platform.uow() as uow:
        row = uow.session.get_one(DataExport, export_id)
        assert row.token_hash == jobs.token_hash(token) and token not in str(row.model_dump(exclude={"archive"}))
    web = _browser(app, "tom@example.test")
    page = web.get(path)
    assert page.status_code == 200 and "works once" in page.get_data(as_text=True)
    assert web.get(path).status_code == 200  # opening the page (a mail scanner's GET) takes nothing
    token_form = csrf(page.get_data(as_text=True))
    assert web.post(path, data={"csrf_token": token_form}).status_code == 200
    again = web.post(path, data={"csrf_token": token_form})
    assert again.status_code == 410
    assert web.get(path).status_code == 410
    api = _api(app, tokens["tom"])
    assert api.post(f"/api/v1/me/data-exports/{export_id}/download").status_code == 410
    assert api.get(f"/api/v1/me/data-exports/{export_id}").json["status"] == "downloaded"
    with platform.uow() as uow:
        assert uow.session.get_one(DataExport, export_id).archive is None  # deleted as it was sent
    assert web.post(path, data={}).status_code in (400, 410)  # no CSRF token: refused either way


def test_the_api_download_works_once_too(history):
    platform, app, tokens, _ = history
    api = _api(app, tokens["tom"])
    export_id = api.post("/api/v1/me/data-exports").json["id"]
    assert api.post(f"/api/v1/me/data-exports/{export_id}/download").status_code == 409  # not built yet
    _build(platform)
    first = api.post(f"/api/v1/me/data-exports/{export_id}/download")
    assert first.status_code == 200 and first.mimetype == "application/zip"
    assert "profile" in _archive(first.get_data())
    assert api.post(f"/api/v1/me/data-exports/{export_id}/download").status_code == 410


def test_a_link_expires_and_the_worker_drops_the_archive(history):
    platform, app, tokens, _ = history
    tom = _user(platform, "tom@example.test")
    export_id = _api(app, tokens["tom"]).post("/api/v1/me/data-exports").json["id"]
    _build(platform)
    path = _link(platform, tom.id)
    web = _browser(app, "tom@example.test")
    page = web.get(path)
    assert page.status_code == 200
    with platform.uow() as uow:
        uow.session.execute(
            update(DataExport).where(col(DataExport.id) == export_id).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        uow.commit()
    assert web.get(path).status_code == 410
    assert web.post(path, data={"csrf_token": csrf(page.get_data(as_text=True))}).status_code == 410
    assert _api(app, tokens["tom"]).get(f"/api/v1/me/data-exports/{export_id}").json["status"] == "expired"
    _build(platform)  # the sweep
    with platform.uow() as uow:
        row = uow.session.get_one(DataExport, export_id)
        assert row.status == ExportStatus.expired and row.archive is None


def test_progress_is_shown_queued_building_and_ready_on_the_page_and_the_api(history):
    platform, app, tokens, _ = history
    web = _browser(app, "tom@example.test")
    page = web.get("/account/data").get_data(as_text=True)
    asked = web.post("/account/data", data={"csrf_token": csrf(page)})
    assert asked.status_code == 303 and asked.headers["Location"].endswith("/account/data")
    page = web.get("/account/data").get_data(as_text=True)
    assert 'data-export-status="queued"' in page and "data-poll=" in page and "refresh it" in page
    assert re.search(r"<button type=\"submit\" disabled>", page)  # one at a time
    again = web.post("/account/data", data={"csrf_token": csrf(page)})
    assert again.status_code == 409 and "being built already" in again.get_data(as_text=True)
    api = _api(app, tokens["tom"])
    assert api.post("/api/v1/me/data-exports").status_code == 409

    with platform.uow() as uow:  # the worker, part way
        export_id = jobs.claim_next(uow, utcnow())
        uow.commit()
    for index in range(3):
        with platform.uow() as uow:
            jobs.write_part(uow, export_id, index)
            uow.commit()
    status = api.get(f"/api/v1/me/data-exports/{export_id}").json
    assert status["status"] == "building" and status["progress"] == 3 and status["step"] == KINDS[3][0]
    fragment = web.get("/account/data/status").get_data(as_text=True)
    assert 'data-export-status="building"' in fragment and "3 of 11 kinds written" in fragment
    assert "now: reviews" in fragment and "data-poll=" in fragment

    with platform.uow() as uow:  # a builder that died: its lease lapses and another finishes it
        uow.session.execute(
            update(DataExport).where(col(DataExport.id) == export_id).values(lease_until=utcnow() - timedelta(1))
        )
        uow.commit()
    assert _build(platform) == 1
    page = web.get("/account/data").get_data(as_text=True)
    assert 'data-export-status="' not in page and "data-poll=" not in page  # nothing to follow now
    assert 'data-status="ready"' in page and "Ready: the link is in your email" in page
    assert "Central time (CST)" in page  # a tasker reads times on their region's clock, the zone named
    listed = api.get("/api/v1/me/data-exports").json["exports"]
    assert [e["status"] for e in listed] == ["ready"]


def test_another_persons_link_or_export_is_a_404(history):
    platform, app, tokens, _ = history
    tom = _user(platform, "tom@example.test")
    export_id = _api(app, tokens["tom"]).post("/api/v1/me/data-exports").json["id"]
    _build(platform)
    path = _link(platform, tom.id)
    ann = _browser(app, "ann@example.test")
    assert ann.get(path).status_code == 404
    assert ann.post(path, data={"csrf_token": csrf(ann.get("/account/data").get_data(as_text=True))}).status_code == 404
    assert _api(app, tokens["ann"]).get(f"/api/v1/me/data-exports/{export_id}").status_code == 404
    assert _api(app, tokens["ann"]).post(f"/api/v1/me/data-exports/{export_id}/download").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 302  # sign in first, then on to it
    assert _browser(app, "tom@example.test").get(path + "x").status_code == 404


def test_the_exports_worker_is_registered_and_run_by_floorboard_dev(platform):
    assert registry()["exports"].consumer_group is False
    assert "exports" in {spec.name for spec in workers_for(platform)}


def test_someone_with_no_region_reads_utc_labelled(history):
    platform, app, _, _ = history
    with platform.uow() as uow:
        create_user(uow.session, "new@example.test", PASSWORD, "client")
        uow.commit()
    web = _browser(app, "new@example.test")
    assert web.post("/account/data", data={"csrf_token": csrf(web.get("/account/data").get_data(as_text=True))})
    page = web.get("/account/data").get_data(as_text=True)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", page), page


def test_the_email_says_the_link_works_once_and_until_when_on_the_readers_clock(history):
    platform, app, tokens, _ = history
    tom = _user(platform, "tom@example.test")
    _api(app, tokens["tom"]).post("/api/v1/me/data-exports")
    _build(platform)
    path = _link(platform, tom.id)
    with platform.uow() as uow:
        row = uow.session.exec(select(Notification).where(col(Notification.kind) == EXPORT_READY)).one()
        subject, text, html = render_row(row)
    assert row.to_address == "tom@example.test" and row.unsubscribe_url == ""  # account mail: always sent
    assert subject == "Your Floorboard data is ready to download"
    assert platform.settings.public_url + path in text and platform.settings.public_url + path in html
    assert "works once" in text and "Central time (CST)" in text
    assert "GET /api/v1/me/data-exports" in text


def test_on_postgresql_the_archive_is_built_and_handed_over_once(make_platform, postgres_url):
    platform = seeded(make_platform(postgres_url))
    with platform.uow() as uow:
        tasker = create_user(uow.session, "pg@example.test", PASSWORD, "tasker")
        post_tip(uow, tasker, "yard-work", "PG-TIP", "Body")
        token = issue_token(uow.session, tasker)
        uow.commit()
    api = _api(create_app({"TESTING": True}, platform=platform), token)
    export_id = api.post("/api/v1/me/data-exports").json["id"]
    assert api.post("/api/v1/me/data-exports").status_code == 409
    assert _build(platform) == 1
    first = api.post(f"/api/v1/me/data-exports/{export_id}/download")
    assert first.status_code == 200 and [t["title"] for t in _archive(first.get_data())["tips"]["tips"]] == ["PG-TIP"]
    assert api.post(f"/api/v1/me/data-exports/{export_id}/download").status_code == 410
