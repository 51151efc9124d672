"""Notifications through the use cases: who hears of what (an email row per event and recipient),
a redelivered event writes nothing twice, and the email's two parts say the same, the HTML escaped."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, delete, select

from events.tables import ConsumerOffset
from marketplace.conversations.messages import send_message
from marketplace.network.handoffs import accept_handoff, offer_handoff
from marketplace.notifications.letters import render_row
from marketplace.notifications.models import Notification
from marketplace.tasks.lifecycle import accept_task, cancel_by_tasker, complete_task, start_task
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW, Pipeline

SECRET = "a test secret"


def deliver_all(platform) -> int:
    """What the notifications group does: every event in the log, once, through its runner; how
    many rows there are then."""
    pipeline = Pipeline(platform, ["notifications"])
    try:
        pipeline.drain()
    finally:
        pipeline.close()
    return len(rows(platform))


def redeliver_all(platform) -> int:
    """The group reads the whole log again (its offsets lost, as after a crash between its commit
    and its offsets): the processed marks keep every event from being written twice."""
    with platform.uow() as uow:
        uow.session.exec(delete(ConsumerOffset).where(col(ConsumerOffset.group) == "notifications"))
        uow.commit()
    return deliver_all(platform)


def rows(platform) -> list[Notification]:
    with platform.uow() as uow:
        return list(uow.session.exec(select(Notification).order_by(Notification.id)))


def test_each_step_tells_the_people_concerned_once(market):
    platform, pipeline, people = market
    task_id = priced_and_booked(market)
    client, ann, bob = (who(platform, people[n]) for n in ("client", "ann", "bob"))
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, send_message, client, task_id, "<b>Side gate</b>, please")
    [made] = run(platform, offer_handoff, ann, task_id, [bob.id], "", NO_WINDOW)
    run(platform, accept_handoff, bob, made.id, NO_WINDOW)
    run(platform, start_task, bob, task_id, ANY_TIME)
    run(platform, complete_task, bob, task_id, 60, "", timedelta(hours=72), ANY_TIME)
    pipeline.drain()  # the capture and the payout
    first = deliver_all(platform)
    assert redeliver_all(platform) == first  # a redelivered event writes no second row
    got = {(r.kind, r.recipient_id) for r in rows(platform)}
    assert {
        ("task.priced", people["client"]),
        ("task.accepted", people["client"]),
        ("message.sent", people["ann"]),
        ("task.handoff_offered", people["bob"]),
        ("task.handed_off", people["client"]),
        ("task.started", people["client"]),
        ("task.completed", people["client"]),
        ("task.completed", people["bob"]),
        ("payment.captured", people["client"]),
        ("payment.transferred", people["bob"]),
    } <= got
    assert not any(r == people["eve"] for _, r in got)  # nobody outside the task hears of it
    message = next(r for r in rows(platform) if r.kind == "message.sent")
    _, text, html = render_row(message)  # as the mailer renders it when it sends it
    assert "<b>Side gate</b>" in text
    assert "&lt;b&gt;Side gate&lt;/b&gt;" in html and "<b>" not in html
    assert message.to_address == "ann@example.test" and message.status == "pending"
    assert f"Answer: {platform.settings.public_url}/work/{task_id}#conversation" in text  # a page, signed in
    assert f"For apps: GET /api/v1/tasks/{task_id}/messages" in text


def test_a_tasker_giving_a_task_back_tells_the_client(market):
    platform, _, people = market
    task_id = priced_and_booked(market)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, cancel_by_tasker, ann, task_id, "van broke")
    deliver_all(platform)
    [gave_back] = [r for r in rows(platform) if r.kind == "task.cancelled"]
    assert gave_back.recipient_id == people["client"] and "van broke" in render_row(gave_back)[1]


def test_each_recipient_chooses_instant_digest_or_off_but_money_mail_stays_on(market):
    import pytest

    from marketplace.clock import utcnow
    from marketplace.errors import Invalid
    from marketplace.notifications.prefs import build_digests, preferences, set_preferences

    platform, pipeline, people = market
    with pytest.raises(Invalid) as refused:
        run(platform, set_preferences, people["client"], {"payment.captured": "off", "nonsense": "off"})
    assert set(refused.value.errors["preferences"]) == {"payment.captured", "nonsense"}
    run(platform, set_preferences, people["client"], {"task.accepted": "off", "task.started": "digest"})
    task_id = priced_and_booked(market)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, start_task, ann, task_id, ANY_TIME)
    deliver_all(platform)
    mine = {r.kind: r.status for r in rows(platform) if r.recipient_id == people["client"]}
    assert "task.accepted" not in mine and mine["task.started"] == "digest" and mine["task.priced"] == "pending"
    with platform.uow() as uow:
        shown = {p["kind"]: (p["mode"], p["locked"]) for p in preferences(uow.session, people["client"])}
    assert shown["task.accepted"] == ("off", False) and shown["payment.captured"] == ("instant", True)

    later = utcnow() + timedelta(days=1)
    before_hour = later.replace(hour=6, minute=0)
    assert run(platform, build_digests, before_hour, 7) == 0  # not yet the digest hour
    at_hour = later.replace(hour=7, minute=5)
    assert run(platform, build_digests, at_hour, 7) == 1
    assert run(platform, build_digests, at_hour.replace(hour=9), 7) == 0  # a re-run sends no second digest
    digest = next(r for r in rows(platform) if r.kind == "digest")
    assert digest.recipient_id == people["client"] and digest.status == "pending" and "started" in digest.text_body
    assert {r.status for r in rows(platform) if r.kind == "task.started"} == {"digested"}


def test_an_unsubscribe_token_switches_off_its_own_user_and_kind_only(market):
    import pytest

    from marketplace.errors import NotFound
    from marketplace.notifications.prefs import mode_of, unsubscribe, unsubscribe_token

    platform, _, people = market
    token = unsubscribe_token(SECRET, people["ann"], "message.sent")
    run(platform, unsubscribe, SECRET, token)
    with platform.uow() as uow:
        assert mode_of(uow.session, people["ann"], "message.sent") == "off"
        assert mode_of(uow.session, people["ann"], "task.handoff_offered") == "instant"
        assert mode_of(uow.session, people["bob"], "message.sent") == "instant"
    for forged in (token[:-2] + "xx", unsubscribe_token("another secret", people["bob"], "message.sent"), "junk"):
        with pytest.raises(NotFound):
            run(platform, unsubscribe, SECRET, forged)
    money = unsubscribe_token(SECRET, people["ann"], "payment.transferred")
    run(platform, unsubscribe, SECRET, money)  # a money kind stays on
    with platform.uow() as uow:
        assert mode_of(uow.session, people["ann"], "payment.transferred") == "instant"
