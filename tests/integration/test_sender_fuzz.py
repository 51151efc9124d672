"""The senders, fuzzed with generated rows through real servers: email through an aiosmtpd
server that accepts, defers (451) or refuses (550) recipients; odd subjects (CR, LF, NUL, odd
Unicode) and addresses a mail library refuses. Every good row arrives once, every bad row fails
alone with its reason, a deferred row waits for its retry, and no row is claimed more than twice
without an answer. The Stripe calls' half of this runs in test_payout_calls.py (localstripe)."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from marketplace.accounts.users import create_user
from marketplace.notifications.models import Notification
from marketplace.notifications.sender import SmtpServer, send_due
from tests.mail_server import MailServer

FROM = "Floorboard <no-reply@floorboard.test>"
ODD = st.text(
    alphabet=st.sampled_from(list("Yard work \r\n\t\x00\x0b\u2028\u2029\u00e9\u4e2d\U0001f9f9\u202e<>\"'&;")),
    min_size=1,
    max_size=80,
)
KINDS = st.sampled_from(["good", "deferred", "refused", "bad-address"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(ODD, KINDS), min_size=1, max_size=12))
def test_every_good_mail_arrives_once_and_every_bad_one_fails_alone(make_platform, sqlite_url, rows):
    platform = make_platform(sqlite_url)  # one database for every example: each its own rows
    run = uuid.uuid4().hex[:8]
    address = {
        "good": "ann@example.test",
        "deferred": "later@example.test",
        "refused": "nobody@example.test",
        "bad-address": "ann@example.test\r\nBcc: all@example.test",
    }
    with MailServer() as mail, platform.uow() as uow:
        mail.recorder.refuse_rcpt["nobody@example.test"] = "550 5.1.1 no such user"
        mail.recorder.refuse_rcpt["later@example.test"] = "451 4.3.0 try again later"
        user = create_user(uow.session, f"u{run}@example.test", "correct horse battery", "client")
        made = [
            Notification(
                event_id=f"ev-{run}-{i}",
                recipient_id=user.id,
                kind="task.accepted",
                to_address=address[kind],
                subject=subject,
                text_body=f"{subject}\n",
                html_body="<p>x</p>",
            )
            for i, (subject, kind) in enumerate(rows)
        ]
        uow.session.add_all(made)
        uow.commit()
        kinds = {row.id: kind for row, (_, kind) in zip(made, rows, strict=True)}
        server = SmtpServer.from_url(mail.url)
        for _ in range(3):  # more rounds than needed: nothing is sent twice, nothing loops
            send_due(platform.uow, server, FROM, batch=5)
        received = mail.recorder.ids()
    with platform.uow() as uow:
        stored = {n.id: n for n in uow.session.exec(select(Notification).where(col(Notification.id).in_(kinds)))}
    good = sorted(f"<notification-{i}@floorboard>" for i, kind in kinds.items() if kind == "good")
    assert sorted(r for r in received if int(r.split("-")[1].split("@")[0]) in kinds) == good  # each once
    assert len(received) == len(good)  # and nothing else
    for row_id, kind in kinds.items():
        row = stored[row_id]
        assert row.attempts <= 2, (kind, row.attempts, row.last_error)
        if kind == "good":
            assert row.status == "sent" and row.sent_at is not None
        elif kind == "deferred":
            assert row.status == "pending" and "451" in row.last_error  # waits for its retry
        elif kind == "refused":
            assert row.status == "failed" and "550" in row.last_error
        else:
            assert row.status == "failed" and row.last_error  # the mail library's own words


# -- webhooks: generated stored URLs against a loopback receiver ---------------------------------

ODD_URLS = st.sampled_from(
    [
        "https://1.1.1.1:99999/hook",
        "https://1.1.1.1:port/hook",
        "https://1.1.1.1:0/hook",
        "https://[::1/hook",
        "https://[64:ff9b::7f00:1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[2002:7f00:1::]/hook",
        "https://user:pw@example.test/hook",
        "https://exa mple.test/hook",
        "http://10.0.0.1/hook",
        "https://xn--/hook",
        "https://\u0000.test/hook",
    ]
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(urls=st.lists(st.one_of(ODD_URLS, st.just("GOOD"), st.just("GONE")), min_size=1, max_size=8))
def test_every_good_webhook_arrives_once_and_every_odd_url_fails_its_own_row(make_platform, sqlite_url, urls):
    from marketplace.notifications.webhook_sender import send_due as send_webhooks
    from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint, queue
    from tests.webhook_receiver import Receiver
    from workers.links import SiteLinks

    platform = make_platform(sqlite_url, webhooks_allow_loopback=True)
    run = uuid.uuid4().hex[:8]
    with Receiver() as good, Receiver() as gone:
        gone.status = 410
        with platform.uow() as uow:
            tasker = create_user(uow.session, f"t{run}@example.test", "correct horse battery", "tasker")
            made = []
            for url in urls:  # stored as if saved before registration parsed URLs in full
                stored = {"GOOD": good.url, "GONE": gone.url}.get(url, url)
                endpoint = WebhookEndpoint(tasker_id=tasker.id, url=stored, kinds="message.sent", secret="whsec_eA==")
                uow.session.add(endpoint)
                made.append((endpoint, url))
            uow.commit()
        with platform.uow() as uow:
            queue(uow, "message.sent", tasker.id, f"ev-{run}", {"task_id": 1})
            uow.commit()
        for _ in range(3):  # more rounds than needed: nothing twice, nothing loops
            send_webhooks(platform.uow, SiteLinks("http://floorboard.test"), allow_loopback=True, timeout_s=2.0)
        with platform.uow() as uow:
            rows = {
                d.endpoint_id: d
                for d in uow.session.exec(select(WebhookDelivery).where(col(WebhookDelivery.event_id) == f"ev-{run}"))
            }
        assert len(good.received) == urls.count("GOOD")  # one endpoint, one delivery each
        for endpoint, url in made:
            row = rows[endpoint.id]
            assert row.attempts <= 2, (url, row.attempts, row.last_error)
            if url == "GOOD":
                assert row.status == "sent"
            else:
                assert row.status == "failed" and row.last_error, (url, row.status, row.last_error)
