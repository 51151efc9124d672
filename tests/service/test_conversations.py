"""A task's conversation through the use cases: who may write and read, masking before the start,
unread counts, a hand-off's new tasker, operators' recorded reads, and the message.sent event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import col, select

from events.tables import EventLogRow
from marketplace.accounts.users import create_user
from marketplace.conversations.messages import MASK, mask_contact_details, operator_reads, send_message, thread, unread
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.network.handoffs import accept_handoff, offer_handoff
from marketplace.tasks.lifecycle import accept_task, cancel_by_client, complete_task, start_task
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import ANY_TIME, NO_WINDOW


def read(platform, user_id: int, task_id: int, reason: str = "") -> dict:
    reader = who(platform, user_id)
    with platform.uow() as uow:
        view = thread(uow.session, reader, task_id, reason)
        uow.commit()
        return view


def unread_of(platform, user_id: int) -> int:
    user = who(platform, user_id)
    with platform.uow() as uow:
        return unread(uow.session, user)["total"]


@pytest.fixture
def accepted(market):
    platform, _, people = market
    task_id = priced_and_booked(market)
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    return task_id


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("call me on 555-123-4567", True),
        ("+1 (555) 123 4567 anytime", True),
        ("mail robin@example.com", True),
        ("robin at example dot com", False),  # words, not an address: left alone
        ("robin (at) example (dot) com", True),
        ("the gate code is 4711", False),  # a short number is not a phone number
        ("be there at 09:30 on 2031-05-01", False),
    ],
)
def test_contact_details_are_masked_and_ordinary_numbers_are_not(text, hidden):
    masked, changed = mask_contact_details(text)
    assert changed is hidden and (MASK in masked) is hidden


def test_the_two_parties_talk_once_the_task_is_accepted_and_nobody_else_reads(market):
    platform, _, people = market
    task_id = priced_and_booked(market)
    client, ann, bob, eve = (who(platform, people[n]) for n in ("client", "ann", "bob", "eve"))
    with pytest.raises(NotFound):  # nobody holds it yet: no conversation
        run(platform, send_message, client, task_id, "hello")
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, send_message, client, task_id, "The gate sticks; lift it.")
    run(platform, send_message, ann, task_id, "Thanks, see you Tuesday.")
    for outsider in (bob, eve):
        with pytest.raises(NotFound):
            run(platform, send_message, outsider, task_id, "hi")
        with pytest.raises(NotFound):
            read(platform, outsider.id, task_id)
    with pytest.raises(Invalid):
        run(platform, send_message, client, task_id, "   ")
    with pytest.raises(Invalid):
        run(platform, send_message, client, task_id, "x" * 2001)
    view = read(platform, people["client"], task_id)
    assert [(m["mine"], m["body"]) for m in view["messages"]] == [
        (True, "The gate sticks; lift it."),
        (False, "Thanks, see you Tuesday."),
    ]
    with platform.uow() as uow:
        rows = uow.session.exec(select(EventLogRow).where(col(EventLogRow.topic) == "messages")).all()
    sent = [json.loads(r.value) for r in rows]
    assert [e["type"] for e in sent] == ["message.sent"] * 2 and {r.key for r in rows} == {str(task_id)}
    assert sent[0]["data"]["recipient_id"] == people["ann"]


def test_contact_details_are_hidden_until_the_start_unless_the_setting_is_off(market, accepted):
    platform, _, people = market
    client, ann = who(platform, people["client"]), who(platform, people["ann"])
    first = run(platform, send_message, client, accepted, "text me on 555 123 4567")
    assert first.masked and "4567" not in first.body
    kept = run(platform, send_message, client, accepted, "or robin@example.com", False)  # the setting off
    assert not kept.masked and "robin@example.com" in kept.body
    run(platform, start_task, ann, accepted, ANY_TIME)
    later = run(platform, send_message, client, accepted, "my number is 555 123 4567")
    assert not later.masked and "555 123 4567" in later.body


def test_unread_counts_follow_what_each_side_has_read(market, accepted):
    platform, _, people = market
    client, ann = who(platform, people["client"]), who(platform, people["ann"])
    run(platform, send_message, client, accepted, "one")
    run(platform, send_message, client, accepted, "two")
    assert (unread_of(platform, people["ann"]), unread_of(platform, people["client"])) == (2, 0)
    read(platform, people["ann"], accepted)
    assert unread_of(platform, people["ann"]) == 0
    run(platform, send_message, ann, accepted, "three")
    assert (unread_of(platform, people["ann"]), unread_of(platform, people["client"])) == (0, 1)


def test_a_cancelled_tasks_conversation_is_read_only(market, accepted):
    platform, _, people = market
    client = who(platform, people["client"])
    run(platform, send_message, client, accepted, "before")
    run(platform, cancel_by_client, client, accepted, "")
    with pytest.raises((Conflict, NotFound)):
        run(platform, send_message, client, accepted, "after")
    assert [m["body"] for m in read(platform, people["client"], accepted)["messages"]] == ["before"]


def test_a_tasker_who_takes_a_task_over_does_not_read_the_earlier_conversation(market, accepted):
    platform, _, people = market
    client, ann, bob = (who(platform, people[n]) for n in ("client", "ann", "bob"))
    run(platform, send_message, client, accepted, "to ann only")
    [made] = run(platform, offer_handoff, ann, accepted, [bob.id], "", NO_WINDOW)
    run(platform, accept_handoff, bob, made.id, NO_WINDOW)
    assert read(platform, people["bob"], accepted)["messages"] == []
    with pytest.raises(NotFound):  # ann holds it no more
        read(platform, people["ann"], accepted)
    run(platform, send_message, client, accepted, "hello bob")
    assert [m["body"] for m in read(platform, people["bob"], accepted)["messages"]] == ["hello bob"]
    assert len(read(platform, people["client"], accepted)["messages"]) == 2  # the client sees both


def test_an_operator_reads_only_a_claimed_task_with_a_reason_and_the_read_is_recorded(market, accepted):
    platform, _, people = market
    client, ann = who(platform, people["client"]), who(platform, people["ann"])
    with platform.uow() as uow:
        operator = create_user(uow.session, "op@example.test", "correct horse battery", "operator")
        uow.commit()
    run(platform, send_message, client, accepted, "please be quick")
    with pytest.raises(Forbidden):  # no claim, no dispute: private
        read(platform, operator.id, accepted, "curious")
    run(platform, start_task, ann, accepted, ANY_TIME)
    run(platform, complete_task, ann, accepted, 600, "it grew", timedelta(hours=72), ANY_TIME)
    with pytest.raises(Invalid):
        read(platform, operator.id, accepted, "")
    view = read(platform, operator.id, accepted, "the client disputes the hours")
    assert [m["body"] for m in view["messages"]] == ["please be quick"] and not view["open"]
    with platform.uow() as uow:
        [record] = operator_reads(uow.session)
    assert (record["task_id"], record["reason"]) == (accepted, "the client disputes the hours")
