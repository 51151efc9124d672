"""Migration 0022 on SQLite and PostgreSQL: the embedded log's events written before it (and the
events kept in dead letters) lose the private words they carried (a message's body, an
endorsement's text, an old review's comment), and still decode; nothing else in them changes."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import text

from events.contracts import decode
from migrations import downgrade, upgrade
from tests.support import seeded

AT = datetime(2031, 5, 1, 9, tzinfo=UTC).isoformat()


def envelope(kind: str, data: dict, event_id: str) -> dict:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "floorboard",
        "type": kind,
        "subject": "1",
        "time": AT,
        "datacontenttype": "application/json",
        "schemaversion": 1,
        "data": data,
    }


MESSAGE = {"message_id": 1, "task_id": 2, "sender_id": 3, "recipient_id": 4, "masked": False, "at": AT}
WORDS = "meet me at 12 Elm St, the code is 4411"


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_the_log_forgets_the_words_events_carried_before(database, request, make_platform):
    url = request.getfixturevalue(f"{database}_url")
    platform = seeded(make_platform(url))
    platform.close()
    downgrade(url, "0019")
    sent = envelope("message.sent", {**MESSAGE, "body": WORDS}, "ev-1")
    endorsed = envelope(
        "endorsement.given",
        {"endorsement_id": 1, "endorser_id": 2, "endorsee_id": 3, "category": "yard-work", "at": AT}
        | {"text": WORDS, "endorser_tier": "trusted", "endorser_completed": 3, "mentor_cap": 3},
        "ev-2",
    )
    dead = envelope(
        "deadletter",
        {"original_topic": "messages", "original_partition": 0, "original_offset": 7, "original_key": "2"}
        | {"original_value": orjson.dumps(sent).decode(), "original_event_id": "ev-1", "consumer": "notifications"}
        | {"error": "boom", "attempts": 5, "failed_at": AT},
        "ev-3",
    )
    given_back = envelope(
        "task.cancelled",
        {"task_id": 2, "client_id": 3, "tasker_id": 4, "category": "yard-work", "region": "springfield", "at": AT}
        | {"cancelled_by": "tasker", "reason": WORDS, "fee": None, "reopened": True},
        "ev-5",
    )
    other = envelope("tip.hidden", {"tip_id": 1, "category": "yard-work", "author_id": 2, "at": AT}, "ev-4")
    other["data"] |= {"hidden_by": 1, "reason": "spam"}
    rows = [("messages", sent), ("community.activity", endorsed), ("messages.dlq", dead), ("tips.activity", other)]
    rows.append(("tasks.lifecycle", given_back))
    with platform.engine.begin() as conn:
        for topic, doc in rows:
            conn.execute(
                text(
                    "INSERT INTO event_log (event_id, topic, partition, key, value, created_at) "
                    "VALUES (:id, :topic, 0, '1', :value, :at)"
                ),
                {"id": doc["id"], "topic": topic, "value": orjson.dumps(doc), "at": AT},
            )
    upgrade(url, "head")
    with platform.engine.connect() as conn:
        stored = {r[0]: bytes(r[1]) for r in conn.execute(text("SELECT event_id, value FROM event_log")).all()}
    assert all(WORDS.encode() not in value for value in stored.values())
    assert decode(stored["ev-1"]).data["message_id"] == 1
    assert decode(stored["ev-2"]).data["endorser_tier"] == "trusted"
    assert decode(stored["ev-5"]).data["cancelled_by"] == "tasker"
    inner = orjson.loads(decode(stored["ev-3"]).data["original_value"])
    assert inner["data"] == MESSAGE and decode(orjson.dumps(inner)).id == "ev-1"
    assert orjson.loads(stored["ev-4"]) == other  # nothing private: untouched
    platform.close()
