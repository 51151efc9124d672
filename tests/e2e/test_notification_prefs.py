"""Email preferences over HTTP, the one-click unsubscribe link (no sign-in, its own user and kind
only), and the headers mail clients use for it, on mail a real SMTP server received."""

from __future__ import annotations

from marketplace.notifications.models import Notification
from marketplace.notifications.prefs import unsubscribe_token
from marketplace.notifications.sender import SmtpServer, send_due
from tests.mail_server import MailServer


def test_preferences_are_read_and_changed_and_money_mail_stays_on(client, api):
    who = api.signup("client")
    got = client.get("/api/v1/me/notifications", headers=api.headers(who)).json["preferences"]
    assert {p["kind"]: p["mode"] for p in got}["message.sent"] == "instant"
    r = client.put(
        "/api/v1/me/notifications",
        json={"preferences": {"message.sent": "digest", "task.started": "off"}},
        headers=api.headers(who),
    )
    assert r.status_code == 200
    assert {p["kind"]: p["mode"] for p in r.json["preferences"]}["task.started"] == "off"
    for body in (
        {"preferences": {"payment.refunded": "off"}},
        {"preferences": {"no.such.kind": "off"}},
        {"preferences": {"message.sent": "sometimes"}},
        {"preferences": {}},
        {"preferences": {"message.sent": "\ud800"}},
    ):
        refused = client.put("/api/v1/me/notifications", json=body, headers=api.headers(who))
        assert refused.status_code == 422 and refused.json.get("errors"), (body, refused.json)
    assert client.get("/api/v1/me/notifications").status_code == 401


def test_the_unsubscribe_link_works_without_signing_in_for_its_user_and_kind_only(client, api, app):
    who = api.signup("tasker")
    other = api.signup("tasker")
    secret = app.config["SECRET_KEY"]
    token = unsubscribe_token(secret, who["id"], "message.sent")
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Stop the emails" in page.get_data(as_text=True)
    done = client.post(f"/unsubscribe/{token}")  # what a mail client's one click sends: no cookie, no CSRF
    assert done.status_code == 200 and 'data-unsubscribed="true"' in done.get_data(as_text=True)
    modes = lambda user: {  # noqa: E731
        p["kind"]: p["mode"]
        for p in client.get("/api/v1/me/notifications", headers=api.headers(user)).json["preferences"]
    }
    assert modes(who)["message.sent"] == "off" and modes(who)["task.handoff_offered"] == "instant"
    assert modes(other)["message.sent"] == "instant"
    assert client.post(f"/unsubscribe/{token[:-3]}abc").status_code == 404
    assert client.get("/unsubscribe/not-a-token").status_code == 404


def test_sent_mail_carries_one_click_unsubscribe_headers_and_money_mail_none(platform, api):
    who = api.signup("client")
    with platform.uow() as uow:
        for kind, url in (("message.sent", "https://floorboard.example/unsubscribe/abc"), ("payment.captured", "")):
            uow.session.add(
                Notification(
                    event_id=f"ev-{kind}",
                    recipient_id=who["id"],
                    kind=kind,
                    to_address=who["email"],
                    subject=kind,
                    text_body="t",
                    html_body="<p>t</p>",
                    unsubscribe_url=url,
                )
            )
        uow.commit()
    with MailServer() as mail:
        assert send_due(platform.uow, SmtpServer.from_url(mail.url), "Floorboard <f@example.test>") == 2
        by_kind = {m["X-Floorboard-Kind"]: m for m in mail.recorder.messages}
    assert by_kind["message.sent"]["List-Unsubscribe"] == "<https://floorboard.example/unsubscribe/abc>"
    assert by_kind["message.sent"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert by_kind["payment.captured"]["List-Unsubscribe"] is None


def test_a_client_sets_preferences_on_the_web(client, api):
    from tests.support import csrf

    who = api.signup("client", "prefs@example.test")
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"email": "prefs@example.test", "password": "correct horse battery", "csrf_token": csrf(page)}
    )
    form = client.get("/account/notifications").get_data(as_text=True)
    assert 'name="mode-message.sent"' in form and 'name="mode-payment.captured"' not in form
    saved = client.post(
        "/account/notifications",
        data={"mode-message.sent": "digest", "mode-task.started": "off", "csrf_token": csrf(form)},
    )
    assert saved.status_code == 303
    modes = {
        p["kind"]: p["mode"]
        for p in client.get("/api/v1/me/notifications", headers=api.headers(who)).json["preferences"]
    }
    assert (modes["message.sent"], modes["task.started"]) == ("digest", "off")
    refused = client.post("/account/notifications", data={"mode-payment.captured": "off", "csrf_token": csrf(form)})
    assert refused.status_code == 422 and "cannot be switched off" in refused.get_data(as_text=True)
    assert client.post("/account/notifications", data={"mode-message.sent": "off"}).status_code == 400  # no CSRF token


def test_a_tasker_sees_each_kind_with_its_default_and_turns_feed_emails_on_within_the_cap(client, api):
    import re

    from tests.support import csrf

    who = api.signup("tasker", "feed@example.test")
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"email": "feed@example.test", "password": "correct horse battery", "csrf_token": csrf(page)}
    )
    form = client.get("/account/notifications").get_data(as_text=True)
    feed_row = re.search(r'<tr data-kind="task.available" data-default="off">.*?</tr>', form, flags=re.S).group(0)
    assert '<option value="off" selected>never</option>' in feed_row
    assert "Unless you choose: never." in feed_row and "At most 10 a day" in feed_row
    for kind in ("connection.requested", "connection.accepted", "endorsement.received", "question.answered"):
        assert f'<tr data-kind="{kind}" data-default="instant">' in form, kind
    for kind in ("task.handoff_taken", "task.handoff_declined", "task.handoff_lapsed"):
        assert f'name="mode-{kind}"' in form, kind
    assert 'data-kind="task.priced"' not in form  # a client's kind: not on a tasker's page
    saved = client.post("/account/notifications", data={"mode-task.available": "digest", "csrf_token": csrf(form)})
    assert saved.status_code == 303
    got = client.get("/api/v1/me/notifications", headers=api.headers(who)).json
    assert got["feed_emails_per_day"] == 10
    feed = next(p for p in got["preferences"] if p["kind"] == "task.available")
    assert (feed["mode"], feed["default"], feed["locked"]) == ("digest", "off", False)
    assert "At most 10 a day" in feed["note"]
    assert not {"task.priced", "payment.captured"} & {p["kind"] for p in got["preferences"]}


def test_a_client_is_not_offered_the_taskers_kinds(client, api):
    who = api.signup("client")
    kinds = {p["kind"] for p in client.get("/api/v1/me/notifications", headers=api.headers(who)).json["preferences"]}
    assert {"task.priced", "message.sent", "payment.captured"} <= kinds
    assert not kinds & {"task.available", "connection.requested", "task.handoff_offered", "payment.transferred"}
