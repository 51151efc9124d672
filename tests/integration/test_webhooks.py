"""Webhooks against a real HTTP server on loopback: signed per the Standard Webhooks specification
(checked with the same package), retried when the receiver answers 500, hangs past the timeout or
is down, disabled at once on a 410 and after 3 days of failures (with an email to its owner), and
never sent to a non-public address outside the tests' explicit loopback allowance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select, update
from standardwebhooks.webhooks import Webhook

from api import create_app
from events.envelope import CloudEvent
from marketplace.clock import utcnow
from marketplace.notifications.announce import announce_available
from marketplace.notifications.models import Notification
from marketplace.notifications.webhook_sender import send_due
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint, deliver_event
from tests.support import NO_WINDOW, ApiHelper, seeded
from tests.webhook_receiver import Receiver
from workers.links import SiteLinks

LINKS = SiteLinks("http://floorboard.test")  # what the webhooks worker builds from PUBLIC_URL


@pytest.fixture
def hooked(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW, webhooks_allow_loopback=True))
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    with Receiver() as receiver:
        yield platform, api, receiver


def register(api, who, url: str, kinds=("task.handoff_offered", "message.sent")):
    r = api.client.post(
        "/api/v1/taskers/me/webhooks", json={"url": url, "kinds": list(kinds)}, headers=api.headers(who)
    )
    assert r.status_code == 201, r.json
    return r.json


def queue_one(platform, tasker_id: int, n: int = 1, times: int = 1) -> None:
    """n hand-off offers to the tasker, each delivered `times` (a redelivered event)."""
    with platform.uow() as uow:
        for i in range(n):
            event = CloudEvent(
                type="task.handoff_offered",
                subject="1",
                data={
                    "task_id": 1,
                    "client_id": 1,
                    "tasker_id": 99,
                    "category": "yard-work",
                    "region": "springfield",
                    "at": utcnow(),
                    "offer_id": i + 1,
                    "to_tasker_id": tasker_id,
                    "expires_at": utcnow() + timedelta(hours=6),
                },
            )
            for _ in range(times):
                deliver_event(uow, event)
        uow.commit()


def deliveries(platform) -> list[WebhookDelivery]:
    with platform.uow() as uow:
        return list(uow.session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def endpoint(platform, endpoint_id: int) -> WebhookEndpoint:
    with platform.uow() as uow:
        return uow.session.get_one(WebhookEndpoint, endpoint_id)


def test_a_delivery_is_signed_per_the_standard_and_verifies_with_the_secret_shown_once(hooked):
    platform, api, receiver = hooked
    tasker = api.signup("tasker")
    made = register(api, tasker, receiver.url)
    listed = api.client.get("/api/v1/taskers/me/webhooks", headers=api.headers(tasker)).json["endpoints"]
    assert "secret" not in listed[0] and made["secret"].startswith("whsec_")
    queue_one(platform, tasker["id"], times=2)  # the same event twice: one delivery
    assert send_due(platform.uow, LINKS, allow_loopback=True) == 1
    [(headers, body)] = receiver.received
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(headers)
    payload = Webhook(made["secret"]).verify(body, headers)  # raises if the signature is wrong
    assert payload["type"] == "task.handoff_offered" and payload["data"]["to_tasker_id"] == tasker["id"]
    with pytest.raises(Exception):  # noqa: B017 - any verification error: a rotated secret no longer verifies
        rotated = api.client.post(f"/api/v1/taskers/me/webhooks/{made['id']}/rotate", headers=api.headers(tasker)).json
        Webhook(rotated["secret"]).verify(body, headers)
    log = api.client.get(f"/api/v1/taskers/me/webhooks/{made['id']}/deliveries", headers=api.headers(tasker)).json
    assert [d["status"] for d in log["deliveries"]] == ["sent"]
    other = api.signup("tasker")  # a tasker manages only their own endpoints
    assert (
        api.client.get(f"/api/v1/taskers/me/webhooks/{made['id']}/deliveries", headers=api.headers(other)).status_code
        == 404
    )
    assert api.client.delete(f"/api/v1/taskers/me/webhooks/{made['id']}", headers=api.headers(other)).status_code == 404
    again = api.client.post(
        f"/api/v1/taskers/me/webhooks/{made['id']}/deliveries/{log['deliveries'][0]['id']}/redeliver",
        headers=api.headers(tasker),
    )
    assert again.status_code == 200 and send_due(platform.uow, LINKS, allow_loopback=True) == 1
    assert receiver.received[-1][0]["webhook-id"] == headers["webhook-id"]  # the same message, again


@pytest.mark.parametrize("trouble", ["500", "hang", "down"])
def test_a_failing_receiver_gets_retries_then_a_disabled_endpoint_and_its_owner_an_email(hooked, trouble):
    platform, api, receiver = hooked
    tasker = api.signup("tasker")
    url = receiver.url
    if trouble == "500":
        receiver.status = 500
    elif trouble == "hang":
        receiver.delay_s = 3.0
    else:
        url = "http://127.0.0.1:9/hooks"  # the discard port: nothing listens
    made = register(api, tasker, url)
    queue_one(platform, tasker["id"])
    assert send_due(platform.uow, LINKS, allow_loopback=True, timeout_s=1.0) == 0
    [row] = deliveries(platform)
    assert (row.status, row.attempts) == ("pending", 1) and row.next_attempt_at > utcnow()
    assert endpoint(platform, made["id"]).failing_since is not None
    with platform.uow() as uow:  # three days of failures later
        uow.session.exec(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        uow.session.exec(update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(days=3, minutes=1)))
        uow.commit()
    assert send_due(platform.uow, LINKS, allow_loopback=True, timeout_s=1.0) == 0
    assert endpoint(platform, made["id"]).status == "disabled"
    with platform.uow() as uow:
        mail = uow.session.exec(select(Notification).where(col(Notification.kind) == "webhook.disabled")).one()
    assert mail.recipient_id == tasker["id"] and url in mail.text_body
    enabled = api.client.post(f"/api/v1/taskers/me/webhooks/{made['id']}/enable", headers=api.headers(tasker))
    assert enabled.status_code == 200 and enabled.json["status"] == "active"


def test_a_410_disables_the_endpoint_at_once(hooked):
    platform, api, receiver = hooked
    tasker = api.signup("tasker")
    made = register(api, tasker, receiver.url)
    receiver.status = 410
    queue_one(platform, tasker["id"], 2)
    assert send_due(platform.uow, LINKS, allow_loopback=True) == 0
    assert endpoint(platform, made["id"]).status == "disabled"
    assert len(receiver.received) == 1  # the second delivery was not even tried
    assert [d.status for d in deliveries(platform)] == ["failed", "failed"]


def test_private_loopback_and_link_local_addresses_are_refused_outside_the_tests_allowance(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url))  # the production default: no loopback
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    tasker = api.signup("tasker")
    for url in (
        "http://127.0.0.1:8080/hooks",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "ftp://example.com/hooks",
    ):
        r = api.client.post(
            "/api/v1/taskers/me/webhooks", json={"url": url, "kinds": ["message.sent"]}, headers=api.headers(tasker)
        )
        assert r.status_code == 422 and "url" in str(r.json["errors"]), (url, r.json)
    # An endpoint saved while loopback was allowed is still not sent to without the allowance.
    with platform.uow() as uow:
        uow.session.add(
            WebhookEndpoint(
                tasker_id=tasker["id"],
                url="http://127.0.0.1:9/h",
                kinds="task.handoff_offered",
                secret="whsec_dGVzdHNlY3JldA==",
            )
        )
        uow.commit()
    queue_one(platform, tasker["id"])
    assert send_due(platform.uow, LINKS, allow_loopback=False) == 0
    [row] = deliveries(platform)
    assert "not a public address" in row.last_error


def test_a_task_is_announced_when_the_taskers_window_opens_not_before(make_platform, sqlite_url):
    window = (("elite", 0), ("trusted", 60), ("newcomer", 180))
    platform = seeded(make_platform(sqlite_url, priority_window=window, webhooks_allow_loopback=True))
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    with Receiver() as receiver:
        tasker = api.signup("tasker")
        api.client.put(
            "/api/v1/taskers/me/skills",
            json={"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]},
            headers=api.headers(tasker),
        )
        register(api, tasker, receiver.url, ("task.available",))
        client = api.signup("client")
        task_id = api.post_task(client).json["id"]
        api.price_pending()
        api.book(client, task_id)
        with platform.uow() as uow:
            assert announce_available(uow, window, utcnow()) == 0  # a newcomer waits 180 s
            uow.commit()
        with platform.uow() as uow:
            assert announce_available(uow, window, utcnow() + timedelta(seconds=181)) == 1
            assert announce_available(uow, window, utcnow() + timedelta(seconds=300)) == 0  # once per task
            uow.commit()
        assert send_due(platform.uow, LINKS, allow_loopback=True) == 1
        [(headers, body)] = receiver.received
        assert b'"task.available"' in body and f'"task_id":{task_id}'.encode() in body
