"""Notifications through the use cases: who hears of what (an email row per event and recipient),
a redelivered event writes nothing twice, and the email's two parts say the same, the HTML escaped."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from events.contracts import decode
from events.tables import EventLogRow
from marketplace.conversations.messages import send_message
from marketplace.network.handoffs import accept_handoff, offer_handoff
from marketplace.notifications.models import Notification
from marketplace.notifications.plans import deliver
from marketplace.tasks.lifecycle import accept_task, cancel_by_tasker, complete_task, start_task
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW

BASE = "https://floorboard.example"


def deliver_all(platform) -> int:
    """What the notifications group does: every event in the log, in order, once (and again)."""
    with platform.uow() as uow:
        events = [decode(r.value) for r in uow.session.exec(select(EventLogRow).order_by(EventLogRow.seq))]
        written = sum(deliver(uow, e, BASE) for e in events)
        uow.commit()
    return written


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
    assert deliver_all(platform) == 0  # a redelivered event writes no second row
    got = {(r.kind, r.recipient_id) for r in rows(platform)}
    assert len(rows(platform)) == first
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
    assert "<b>Side gate</b>" in message.text_body
    assert "&lt;b&gt;Side gate&lt;/b&gt;" in message.html_body and "<b>" not in message.html_body
    assert message.to_address == "ann@example.test" and message.status == "pending"
    assert f"{BASE}/api/v1/tasks/{task_id}/messages" in message.text_body


def test_a_tasker_giving_a_task_back_tells_the_client(market):
    platform, _, people = market
    task_id = priced_and_booked(market)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, cancel_by_tasker, ann, task_id, "van broke")
    deliver_all(platform)
    [gave_back] = [r for r in rows(platform) if r.kind == "task.cancelled"]
    assert gave_back.recipient_id == people["client"] and "van broke" in gave_back.text_body
