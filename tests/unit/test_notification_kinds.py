"""The kinds of notice are one registry: the preferences, the webhook kinds and the API's lists of
both read it, and each kind is about an event type the notifications group consumes, read through
that type's typed view."""

from __future__ import annotations

from events.contracts import EVENT_TYPES
from events.payloads import VIEWS
from events.topics import CONSUMER_GROUPS
from marketplace.notifications import prefs, webhooks
from marketplace.notifications.kinds import EMAILED, KINDS, MONEY, WEBHOOKS


def test_the_preferences_and_the_webhook_kinds_are_the_registrys():
    assert prefs.KINDS == {name: kind.label for name, kind in KINDS.items() if kind.emailed}
    assert webhooks.KINDS == {name: kind.label for name, kind in KINDS.items() if kind.webhook is not None}
    assert prefs.MONEY_KINDS == MONEY == {"payment.captured", "payment.refunded", "payment.transferred"}
    assert MONEY <= set(EMAILED)


def test_each_kind_has_a_label_and_something_to_send():
    labels = [kind.label for kind in KINDS.values()]
    assert all(labels) and len(set(labels)) == len(labels)
    assert all(kind.emailed or kind.webhook is not None for kind in KINDS.values())
    assert all((kind.hears is None) == (kind.letter is None) for kind in KINDS.values())


def test_each_kind_is_about_an_event_the_notifications_group_reads_through_its_view():
    read = set(CONSUMER_GROUPS["notifications"])
    for kind in KINDS.values():
        if kind.event is None:  # written by a sweep
            assert kind.name == "task.available" and kind.name in WEBHOOKS
            continue
        assert kind.event in EVENT_TYPES and kind.event in VIEWS, kind.name
        assert EVENT_TYPES[kind.event].topic in read, kind.name


def test_each_emailed_kind_names_the_sides_it_goes_to_and_its_default():
    for kind in KINDS.values():
        assert bool(kind.readers) == kind.emailed, kind.name
        assert set(kind.readers) <= {"client", "tasker"}, kind.name
    off = {name for name, kind in EMAILED.items() if kind.default == "off"}
    assert off == {"task.available"}  # a task in your feed: only for those who turn it on
    assert all(EMAILED[name].default == "instant" for name in MONEY)
    assert {name for name, kind in EMAILED.items() if kind.concerns("client")} >= {"task.priced", "message.sent"}
    assert not {"task.available", "connection.requested"} & {n for n, k in EMAILED.items() if k.concerns("client")}
    assert all(kind.concerns("operator") for kind in EMAILED.values())


def test_the_network_notices_are_email_and_webhook_kinds_about_their_events():
    about = {
        "connection.requested": "connection.requested",
        "connection.accepted": "connection.accepted",
        "endorsement.received": "endorsement.given",
        "question.answered": "answer.posted",
        "task.handoff_taken": "task.handed_off",
        "task.handoff_declined": "task.handoff_declined",
        "task.handoff_lapsed": "task.handoff_lapsed",
    }
    for name, event in about.items():
        assert KINDS[name].event == event and name in EMAILED and name in WEBHOOKS, name
        assert EMAILED[name].readers == ("tasker",), name
