"""The typed payload views name exactly their schemas' fields, and read a decoded event."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone

import pytest

from events import contracts, payloads
from events.contracts import decode, encode
from events.envelope import CloudEvent

VIEWS = [
    (payloads.TaskPosted, contracts.TaskPosted),
    (payloads.FloorsChanged, contracts.FloorsChanged),
    (payloads.TaskLifecycle, contracts.TaskLifecycle),
    (payloads.TaskCompleted, contracts.TaskCompleted),
    (payloads.TaskCancelled, contracts.TaskCancelled),
    (payloads.TaskAdjustment, contracts.TaskAdjustment),
]


@pytest.mark.parametrize(("view", "schema"), VIEWS, ids=lambda v: v.__name__)
def test_a_view_names_exactly_its_schemas_fields(view, schema):
    assert {f.name for f in fields(view)} == set(schema().fields)


@pytest.mark.parametrize("name", sorted(payloads.VIEWS))
def test_each_event_types_view_names_exactly_that_types_fields(name):
    assert {f.name for f in fields(payloads.VIEWS[name])} == set(contracts.EVENT_TYPES[name].schema().fields)


def test_a_view_reads_a_decoded_event():
    at = datetime(2031, 5, 1, 9, tzinfo=timezone.utc)
    event = CloudEvent(
        type="task.cancelled",
        subject="7",
        data={
            "task_id": 7,
            "client_id": 1,
            "tasker_id": 2,
            "category": "yard-work",
            "region": "springfield",
            "at": at,
            "cancelled_by": "tasker",
            "fee": None,
            "reopened": True,
        },
    )
    view = payloads.TaskCancelled.of(decode(encode(event)))
    assert (view.task_id, view.tasker_id, view.cancelled_by, view.fee, view.reopened, view.at) == (
        7,
        2,
        "tasker",
        None,
        True,
        at,
    )
