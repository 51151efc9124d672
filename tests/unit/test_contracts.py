"""CloudEvents envelopes and payload schemas: validated on the way out and on the way in."""

from __future__ import annotations

import json

import pytest

from events.contracts import decode, encode
from events.envelope import CloudEvent, InvalidEvent
from events.topics import TOPICS, all_topic_names, dlq_topic, partition_for
from tests.support import posted_event


def test_round_trip_keeps_every_attribute_and_typed_data():
    event = posted_event(7, seq=4)
    doc = json.loads(encode(event))
    assert {"id", "source", "type", "subject", "time", "datacontenttype", "specversion", "data"} <= set(doc)
    assert doc["specversion"] == "1.0" and doc["datacontenttype"] == "application/json"
    back = decode(encode(event))
    assert back == event


def test_a_producer_cannot_emit_a_bad_payload():
    event = posted_event(7)
    bad = CloudEvent(type=event.type, subject="7", data={**event.data, "estimated_minutes": "ten"})
    with pytest.raises(InvalidEvent, match="estimated_minutes"):
        encode(bad)
    with pytest.raises(InvalidEvent, match="unknown event type"):
        encode(CloudEvent(type="task.exploded", subject="7", data={}))


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"specversion": "0.3"}', "bad CloudEvents envelope"),
    ],
)
def test_a_consumer_refuses_what_is_not_an_event(raw, reason):
    with pytest.raises(InvalidEvent, match=reason):
        decode(raw)


def test_a_consumer_refuses_a_bad_payload_or_an_unknown_version():
    doc = json.loads(encode(posted_event(7)))
    doc["data"]["surprise"] = 1
    with pytest.raises(InvalidEvent, match="payload invalid"):
        decode(json.dumps(doc).encode())
    doc = json.loads(encode(posted_event(7)))
    doc["schemaversion"] = 9
    with pytest.raises(InvalidEvent, match="schema version 9"):
        decode(json.dumps(doc).encode())


def test_topic_registry_matches_the_product_brief():
    assert set(TOPICS) == {
        "tasks.posted",
        "tasks.priced",
        "tasks.lifecycle",
        "pricing.floors",
        "reviews.submitted",
        "tips.activity",
        "payments.events",
        "reputation.changes",
        "community.activity",
        "messages",
    }
    assert TOPICS["pricing.floors"].compacted and not TOPICS["tasks.posted"].compacted
    assert dlq_topic("tasks.posted") in all_topic_names()


def test_embedded_partitioner_is_stable_and_spreads_keys():
    assert partition_for("42", 6) == partition_for("42", 6)
    assert len({partition_for(str(k), 6) for k in range(100)}) == 6


@pytest.mark.parametrize(
    "attribute, value",
    [
        ("id", "x" * 65),
        ("type", ""),
        ("subject", 7),
        ("time", "2026-01-01T00:00:00"),
        ("time", "yesterday"),
        ("schemaversion", 0),
        ("data", []),
        ("datacontenttype", "text/plain"),
    ],
)
def test_the_fast_envelope_check_refuses_what_the_schema_refuses(attribute, value):
    doc = json.loads(encode(posted_event(7)))
    doc[attribute] = value
    with pytest.raises(InvalidEvent, match="bad CloudEvents envelope"):
        decode(json.dumps(doc).encode())
