"""Account closure names what it does with every table that names a person: a table added later
with a user column fails here until marketplace/privacy/closure.py says whether it is deleted or
kept (and why). And the event log's private words are forgotten: no producer writes them, and an
event from before that carried them still decodes, without them."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

import marketplace.tables  # noqa: F401 - every table in the metadata
from events.contracts import FORGOTTEN, decode, encode
from events.envelope import CloudEvent, InvalidEvent
from marketplace.privacy.closure import DELETE, KEEP, USER_LINKED, user_linked_tables

AT = datetime(2031, 5, 1, 9, tzinfo=UTC)


def test_every_table_with_a_user_column_is_deleted_or_kept_on_closure_with_a_reason():
    linked = user_linked_tables()
    assert linked, "the metadata holds the user-linked tables"
    unnamed = sorted(set(linked) - set(USER_LINKED))
    assert unnamed == [], f"say in USER_LINKED what closing an account does with: {unnamed}"
    for table, (action, why) in USER_LINKED.items():
        assert action in (DELETE, KEEP)
        assert action == DELETE or why, f"{table} is kept: say why"


MESSAGE = {"message_id": 1, "task_id": 2, "sender_id": 3, "recipient_id": 4, "masked": False, "at": AT}


def test_no_producer_may_write_a_message_body_into_the_log():
    with pytest.raises(InvalidEvent):
        encode(CloudEvent(type="message.sent", subject="2", data={**MESSAGE, "body": "meet me at 12 Elm St"}))
    assert b"Elm" not in encode(CloudEvent(type="message.sent", subject="2", data=MESSAGE))


QUOTE = {
    "rate": 2400,
    "billable_minutes": 60,
    "subtotal": 2400,
    "service_fee": 240,
    "trust_fee": 100,
    "commission": 0,
    "total": 2740,
    "payout": 2400,
    "platform": 340,
    "rule_version": 1,
}
LIFECYCLE = {"task_id": 2, "client_id": 3, "tasker_id": 4, "category": "yard-work", "region": "springfield", "at": AT}
ADJUSTMENT = {**LIFECYCLE, "minutes_worked": 90, "booked": QUOTE, "claimed": QUOTE, "due_at": AT}
HANDOFF = {**LIFECYCLE, "offer_id": 5, "to_tasker_id": 6}
WITHDRAWN = {"endorsement_id": 1, "endorser_id": 2, "endorsee_id": 3, "category": "yard-work", "at": AT}


@pytest.mark.parametrize("kind", sorted(FORGOTTEN))
def test_an_event_from_before_with_private_words_decodes_without_them(kind):
    data = {
        "task.cancelled": {**LIFECYCLE, "cancelled_by": "tasker", "fee": None, "reopened": True},
        "task.adjustment_requested": {**ADJUSTMENT, "status": "pending"},
        "task.adjustment_decided": {**ADJUSTMENT, "status": "approved"},
        **{f"task.handoff_{kind}": HANDOFF for kind in ("declined", "withdrawn", "lapsed")},
        "endorsement.withdrawn": {**WITHDRAWN, "revoked_by": None},
        "endorsement.revoked": {**WITHDRAWN, "revoked_by": 1},
        "message.sent": MESSAGE,
        "endorsement.given": {"endorsement_id": 1, "endorser_id": 2, "endorsee_id": 3, "category": "yard-work"}
        | {"at": AT, "endorser_tier": "trusted", "endorser_completed": 3, "mentor_cap": 3},
        "review.submitted": {"review_id": 1, "task_id": 2, "tasker_id": 3, "client_id": 4, "category": "yard-work"}
        | {"at": AT, "rating": 4},
    }[kind]
    raw = orjson.loads(encode(CloudEvent(type=kind, subject="1", data=data)))
    for field in FORGOTTEN[kind]:
        raw["data"][field] = "private words from before"
    event = decode(orjson.dumps(raw))
    assert not set(FORGOTTEN[kind]) & set(event.data)
    assert "private words" not in str(event.data)
